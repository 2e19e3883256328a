#!/bin/sh
# The shipped systemd user units (dist/systemd) are valid, and socket
# activation works: systemd-socket-activate stands in for systemd --user,
# listening on the unit's socket and starting `sealexec serve` with it
# (LISTEN_FDS) on the first connection. Clients need nothing else.
. "$TEST_LIB"
require_command systemd-analyze
require_command systemd-socket-activate

mkdir -m 700 "$WORK/xdg"
export XDG_RUNTIME_DIR="$WORK/xdg"
sed "s|@CMAKE_INSTALL_FULL_BINDIR@|$(dirname "$SEALEXEC")|" \
  "$SOURCE_DIR/dist/systemd/sealexec.service.in" >"$WORK/sealexec.service"
cp "$SOURCE_DIR/dist/systemd/sealexec.socket" "$WORK/"
expect_code 0 systemd-analyze verify --user "$WORK/sealexec.socket" "$WORK/sealexec.service"
grep -q '^ListenSequentialPacket=%t/sealexec/tier.sock$' "$WORK/sealexec.socket" ||
  fail "the socket unit does not listen where clients look"

mkdir -m 700 "$XDG_RUNTIME_DIR/sealexec"
systemd-socket-activate --seqpacket -l "$XDG_RUNTIME_DIR/sealexec/tier.sock" \
  "$SEALEXEC" serve --idle-timeout 20 >"$WORK/activate.log" 2>&1 &
ACTIVATOR=$!
trap 'kill $ACTIVATOR 2>/dev/null || true; rm -rf "$WORK"' EXIT INT TERM
i=0
while [ ! -S "$XDG_RUNTIME_DIR/sealexec/tier.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

{
  printf '#!/bin/sh\necho "$(stat -L -c %%i "$0")"\nexit 0\n'
  head -c 2097152 /dev/zero | tr '\0' '#'
} >"$WORK/prog"
chmod +x "$WORK/prog"
sleep 0.1 # settled: older than a clock tick
"$SEALEXEC" run "$WORK/prog" >/dev/null
served=
i=0
while [ $i -lt 100 ]; do
  "$SEALEXEC" run -v "$WORK/prog" >"$WORK/out" 2>"$WORK/err"
  if grep -q 'from the memory tier' "$WORK/err"; then
    served=yes
    break
  fi
  sleep 0.05
  i=$((i + 1))
done
[ -n "$served" ] || { cat "$WORK/activate.log" "$WORK/err" >&2; fail "a socket-activated server never served"; }
# The activated server does not take the lock or remove systemd's socket.
[ ! -e "$XDG_RUNTIME_DIR/sealexec/tier.lock" ] || fail "the activated server took the on-demand lock"
# A server started by hand leaves systemd's socket alone: it is served.
expect_code 1 "$SEALEXEC" serve --idle-timeout 1
[ -S "$XDG_RUNTIME_DIR/sealexec/tier.sock" ] || fail "a hand-started server removed systemd's socket"
expect_code 0 "$SEALEXEC" serve --status
kill "$ACTIVATOR"
wait "$ACTIVATOR" 2>/dev/null || true
echo ok
