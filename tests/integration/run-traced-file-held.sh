#!/bin/sh
# Under a tracer an ELF program runs from its file, and that file must hold
# the sealed bytes until the program runs: it is read under a read lease,
# which holds off writers until exec, when the kernel refuses them for as
# long as the program runs (ETXTBSY). Where no lease can be had (another
# user's file), the sealed copy runs instead, with a warning.
. "$TEST_LIB"
require_command strace
strace -f -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here"

cp /bin/sleep "$WORK/sleeper"
strace -f -qq -o /dev/null "$SEALEXEC" run "$WORK/sleeper" 3 2>"$WORK/traced.err" &
traced=$!
i=0
until grep -q "running it from its file" "$WORK/traced.err" 2>/dev/null; do
  i=$((i + 1))
  [ $i -lt 100 ] || { cat "$WORK/traced.err" >&2; fail "the traced run did not start"; }
  sleep 0.05
done
sleep 0.3
if (printf x >>"$WORK/sleeper") 2>"$WORK/write.err"; then
  fail "a write to the running program's file succeeded"
fi
expect_file_contains "$WORK/write.err" "Text file busy"
wait "$traced" || fail "the traced program failed: $(cat "$WORK/traced.err")"

# Another user's file, without CAP_LEASE: no lease, so nothing would hold a
# writer off until exec: the sealed copy runs, loudly.
require_root "switches to the nobody user"
require_command setpriv
as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
as_nobody "$SEALEXEC" --version >/dev/null 2>&1 || skip "the nobody user cannot run $SEALEXEC"
chmod 755 "$WORK" "$WORK/sleeper"
as_nobody test -x "$WORK/sleeper" || skip "the nobody user cannot reach $WORK (private TMPDIR?)"
expect_code 0 as_nobody env TMPDIR=/tmp strace -f -qq -o /dev/null "$SEALEXEC" run "$WORK/sleeper" 0
expect_file_contains "$WORK/err" "but no read lease can be had on it"
expect_file_contains "$WORK/err" "running the sealed copy"
