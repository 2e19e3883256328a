#!/bin/sh
# vm.memfd_noexec = 2 forbids executable memfds: sealexec exits 126 with one
# line that names the file and the sysctl vm.memfd_noexec. With 1 (only the
# default changes) programs still run, since sealexec asks for MFD_EXEC.
# The sysctl is per PID namespace, so each case runs in a new one; needs root,
# unshare and a kernel with the sysctl (6.3+; 2 needs 6.6+).
. "$TEST_LIB"
require_root "unshare --pid and the vm.memfd_noexec sysctl"
require_command unshare
[ -e /proc/sys/vm/memfd_noexec ] || skip "this kernel has no vm.memfd_noexec"
unshare --pid --fork --mount-proc true 2>/dev/null || skip "cannot create a PID namespace"

# in_namespace VALUE PROGRAM ARGS...: sealexec run in a new PID namespace with
# vm.memfd_noexec = VALUE.
in_namespace() {
  timeout 10 unshare --pid --fork --mount-proc sh -c '
    value=$1; shift
    echo "$value" >/proc/sys/vm/memfd_noexec 2>/dev/null || exit 77
    exec "$SEALEXEC" run "$@"' sh "$@"
}

before=$(cat /proc/sys/vm/memfd_noexec)

set +e
in_namespace 2 "$EXAMPLES/hello" >"$WORK/out" 2>"$WORK/err"
code=$?
set -e
[ "$code" -ne 77 ] || skip "cannot set vm.memfd_noexec = 2 (kernel before 6.6?)"
expect_eq "$code" 126 "exit code under vm.memfd_noexec = 2"
expect_error_line "sealexec: " "vm.memfd_noexec"
cp "$WORK/err" "$WORK/err-hello"

# A script needs an executable memfd as well.
set +e
in_namespace 2 "$SOURCE_DIR/examples/hello.sh" >"$WORK/out" 2>"$WORK/err"
code=$?
set -e
expect_eq "$code" 126 "exit code of a script under vm.memfd_noexec = 2"
expect_error_line "sealexec: " "vm.memfd_noexec"

set +e
in_namespace 1 "$EXAMPLES/hello" x >"$WORK/out" 2>"$WORK/err"
code=$?
set -e
[ "$code" -ne 77 ] || skip "cannot set vm.memfd_noexec = 1"
expect_eq "$code" 0 "exit code under vm.memfd_noexec = 1: $(cat "$WORK/err")"
printf 'hello from sealed memory\narg 1: x\n' >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "hello under vm.memfd_noexec = 1 printed: $(cat "$WORK/out")"

# The host's setting is untouched.
expect_eq "$(cat /proc/sys/vm/memfd_noexec)" "$before" "the host's vm.memfd_noexec"

# Like every failure of sealexec's own, the line names the file given.
expect_file_contains "$WORK/err-hello" "sealexec: $EXAMPLES/hello: "
