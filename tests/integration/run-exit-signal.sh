#!/bin/sh
# Death by signal passes through sealexec: a program killed by SIGTERM or
# SIGKILL makes the shell see 143 / 137, whether it kills itself (a #! script,
# or /bin/sh run as an ELF from memory) or is killed from outside while it
# runs from the sealed memfd.
. "$TEST_LIB"

# Like expect_code, but the redirections belong to the process that execs
# sealexec, so the shell's own "Terminated"/"Killed" notice stays out of
# $WORK/err and only what sealexec and the program wrote is there.
expect_death() {
  want=$1
  shift
  { (exec "$@" >"$WORK/out" 2>"$WORK/err") && got=0 || got=$?; } 2>/dev/null
  [ "$got" -eq "$want" ] || {
    echo "--- stdout:" >&2; cat "$WORK/out" >&2
    echo "--- stderr:" >&2; cat "$WORK/err" >&2
    fail "expected exit code $want, got $got from: $*"
  }
}

for sig in TERM KILL; do
  case $sig in TERM) code=143 ;; KILL) code=137 ;; esac
  printf '#!/bin/sh\necho "before %s"\nkill -%s $$\necho "survived %s"\n' \
    "$sig" "$sig" "$sig" >"$WORK/die-$sig"
  chmod +x "$WORK/die-$sig"
  expect_death "$code" "$SEALEXEC" run "$WORK/die-$sig"
  expect_eq "$(cat "$WORK/out")" "before $sig" "stdout of the script killed by SIG$sig"
  [ ! -s "$WORK/err" ] || fail "unexpected stderr (script, SIG$sig): $(cat "$WORK/err")"

  expect_death "$code" "$SEALEXEC" run /bin/sh -c "echo elf-$sig; kill -$sig \$\$; echo survived"
  expect_eq "$(cat "$WORK/out")" "elf-$sig" "stdout of /bin/sh -c killed by SIG$sig"
  [ ! -s "$WORK/err" ] || fail "unexpected stderr (ELF, SIG$sig): $(cat "$WORK/err")"
done

# Killed from outside, once the program is known to run from the memfd (so
# the signal cannot have hit sealexec itself before the exec).
"$SEALEXEC" run /bin/sleep 30 >"$WORK/out" 2>"$WORK/err" &
pid=$!
tries=0
until readlink "/proc/$pid/exe" 2>/dev/null | grep -q '^/memfd:sealexec:sleep:'; do
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ]; then
    kill -KILL "$pid" 2>/dev/null || true
    fail "sleep never ran from a sealexec memfd (exe: $(readlink "/proc/$pid/exe" 2>&1))"
  fi
  sleep 0.05
done
kill -TERM "$pid"
{ wait "$pid" && code=0 || code=$?; } 2>/dev/null
expect_eq "$code" 143 "status of sleep killed by SIGTERM from outside"
[ ! -s "$WORK/err" ] || fail "unexpected stderr (external SIGTERM): $(cat "$WORK/err")"
