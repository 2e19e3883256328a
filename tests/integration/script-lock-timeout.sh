#!/bin/sh
# sealexec script: a first run that holds the compile lock and is stopped
# (SIGSTOP: a debugger, a frozen container) blocks the others only for the
# lock_timeout setting, from SEALEXEC_LOCK_TIMEOUT or cache.conf. Then a
# waiter compiles for itself, prints the right output, and -v says why.
#
# The compiler is a wrapper whose first compile says it is running (the
# file $WORK/ready) and waits until $WORK/hold is removed; the sealexec
# that started it, which holds the lock, is then stopped.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
real=$(command -v cc) || skip "needs the compiler cc"
cat >"$WORK/cc-hold" <<EOF
#!/bin/sh
case " \$* " in
  *" -o "*)
    if mkdir "$WORK/claimed" 2>/dev/null; then
      echo \$\$ >"$WORK/wrapper.pid"
      : >"$WORK/ready"
      while [ -e "$WORK/hold" ]; do sleep 0.05; done
    fi ;;
esac
"$real" "\$@"
EOF
chmod 755 "$WORK/cc-hold"
touch -d '-1 min' "$WORK/cc-hold"
# Killed compiles leave their build directories: keep them in $WORK.
mkdir "$WORK/tmp"
TMPDIR=$WORK/tmp
export TMPDIR

cat >"$WORK/held.c" <<'SRC'
#include <stdio.h>
int main(void) { puts("held ok"); return 0; }
SRC

holder=
cleanup() {
  rm -f "$WORK/hold"
  if [ -n "$holder" ]; then
    kill -KILL "$holder" 2>/dev/null || true
    wait "$holder" 2>/dev/null || true
  fi
  # The wrapper outlives its sealexec; let it finish before $WORK goes.
  if [ -f "$WORK/wrapper.pid" ]; then
    i=0
    while kill -0 "$(cat "$WORK/wrapper.pid")" 2>/dev/null && [ "$i" -lt 200 ]; do
      sleep 0.05
      i=$((i + 1))
    done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

: >"$WORK/hold"
"$SEALEXEC" script --compiler "$WORK/cc-hold" "$WORK/held.c" >"$WORK/out.holder" 2>&1 &
holder=$!
i=0
while [ ! -e "$WORK/ready" ]; do
  [ "$i" -lt 600 ] || fail "the first run's compile never started"
  sleep 0.05
  i=$((i + 1))
done
kill -STOP "$holder"

# `timeout` only bounds a failure: without the bound, this waits for ever.
expect_code 0 env SEALEXEC_LOCK_TIMEOUT=300ms timeout 30 \
  "$SEALEXEC" script -v --compiler "$WORK/cc-hold" "$WORK/held.c"
expect_out "held ok" "run while the lock holder is stopped"
expect_compiled "run while the lock holder is stopped"
expect_file_contains "$WORK/err" \
  "another run is compiling this script: waiting for it, at most 300 ms (lock_timeout)"
expect_file_contains "$WORK/err" \
  "another run has been compiling this script for 300 ms (lock_timeout): compiling here too"
expect_file_contains "$WORK/err" "cached: "

# Now cached: a hit never waits for the lock.
expect_code 0 timeout 30 "$SEALEXEC" script -v --compiler "$WORK/cc-hold" "$WORK/held.c"
expect_out "held ok" "run after the waiter compiled"
expect_not_compiled "run after the waiter compiled"

# --rebuild takes the lock again; cache.conf bounds the wait this time.
printf 'lock_timeout = 200ms\n' >"$C/cache.conf"
expect_code 0 timeout 30 "$SEALEXEC" script -v --rebuild --compiler "$WORK/cc-hold" "$WORK/held.c"
expect_out "held ok" "rebuild while the lock holder is stopped"
expect_file_contains "$WORK/err" "for 200 ms (lock_timeout)"

# And lock_timeout = 0 does not wait at all.
expect_code 0 env SEALEXEC_LOCK_TIMEOUT=0 timeout 30 \
  "$SEALEXEC" script -v --rebuild --compiler "$WORK/cc-hold" "$WORK/held.c"
expect_out "held ok" "rebuild with lock_timeout 0"
expect_file_contains "$WORK/err" "another run is compiling this script (lock_timeout 0)"

# A bad value is sealexec's own failure, named.
expect_code 125 env SEALEXEC_LOCK_TIMEOUT=forever "$SEALEXEC" script "$WORK/held.c"
expect_error_line "sealexec: SEALEXEC_LOCK_TIMEOUT: " "lock_timeout"
