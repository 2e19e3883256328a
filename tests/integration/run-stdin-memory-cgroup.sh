#!/bin/sh
# In a memory cgroup, `yes | sealexec run -` is not OOM-killed: the default
# size limit of a program read from a pipe is a quarter of the memory the
# process may use (its cgroups' limits, or MemTotal), at most 1 GiB, and it is
# refused there with one line (exit 125). Here: a 256 MiB cgroup v1, so the
# limit is 64 MiB. A file's is three quarters of it (192 MiB): its copy in a
# memfd is charged to the cgroup too.
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

# A file larger than the cgroup allows is refused before it is copied, by
# path and on standard input.
truncate -s 300M "$WORK/big"
chmod +x "$WORK/big"
limit=$((192 * 1024 * 1024))
expect_code 125 in_cgroup "$SEALEXEC" run "$WORK/big"
expect_eq "$(cat "$WORK/err")" \
  "sealexec: $WORK/big: is 314572800 bytes, more than the limit of $limit bytes; raise the limit with --max-size SIZE" \
  "message for a 300 MiB file in a 256 MiB cgroup"
expect_code 125 in_cgroup sh -c 'exec "$1" run - <"$2"' sh "$SEALEXEC" "$WORK/big"
expect_file_contains "$WORK/err" "more than the limit of $limit bytes"
[ "$(sed -n 's/^oom_kill //p' "$cgroup/memory.oom_control")" = 0 ] ||
  fail "the OOM killer ran in the cgroup for a file: $(cat "$cgroup/memory.oom_control")"
