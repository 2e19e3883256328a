#!/bin/sh
# In a memory cgroup, `yes | sealexec run -` is not OOM-killed: the default
# size limit of a program read from a pipe is a quarter of the memory the
# process may use (its cgroups' limits, or MemTotal), at most 1 GiB, and it is
# refused there with one line (exit 125). Here: a 256 MiB cgroup v1, so the
# limit is 64 MiB.
. "$TEST_LIB"
require_root "creating a memory cgroup"

cgroup_path=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)$/\3/p' /proc/self/cgroup)
[ -n "$cgroup_path" ] && [ -d "/sys/fs/cgroup/memory$cgroup_path" ] ||
  skip "needs a cgroup v1 memory controller at /sys/fs/cgroup/memory"
cgroup="/sys/fs/cgroup/memory${cgroup_path%/}/sealexec-test-$$"
mkdir "$cgroup" 2>/dev/null || skip "cannot create a memory cgroup under $cgroup_path"
trap 'rmdir "$cgroup" 2>/dev/null; rm -rf "$WORK"' EXIT INT TERM
echo $((256 * 1024 * 1024)) >"$cgroup/memory.limit_in_bytes"

# in_cgroup COMMAND...: runs COMMAND inside the cgroup.
in_cgroup() {
  sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cgroup" "$@"
}

expect_code 125 in_cgroup sh -c 'yes | "$1" run -' sh "$SEALEXEC"
expect_lines "$WORK/err" 1
expect_eq "$(cat "$WORK/err")" \
  "sealexec: <stdin>: is larger than the limit of $((64 * 1024 * 1024)) bytes; raise the limit with --max-size SIZE" \
  "message in a 256 MiB cgroup"
[ "$(cat "$cgroup/memory.oom_control" | sed -n 's/^oom_kill //p')" = 0 ] ||
  fail "the OOM killer ran in the cgroup: $(cat "$cgroup/memory.oom_control")"

# A program that fits runs, in the same cgroup.
expect_code 0 in_cgroup sh -c 'cat "$2" | "$1" run -' sh "$SEALEXEC" "$EXAMPLES/hello"
expect_file_contains "$WORK/out" "hello from sealed memory"
