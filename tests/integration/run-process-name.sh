#!/bin/sh
# A program run through sealexec has its own name, as it would directly:
# - /proc/PID/comm is the program's basename (or --name), so `pgrep -x` and
#   `killall` find it (they found "memfd:sealexec:" for every program);
# - a #! script's $0 ends in its own name, so scripts that dispatch on it
#   (bzcmp is bzdiff, xzegrep is xzgrep) do what they do directly;
# - --argv0 is refused for a script (its interpreter never sees argv[0]);
# - where no trusted directory for the name links exists, a script still
#   runs, with a warning that its $0 is /dev/fd/N.
. "$TEST_LIB"
require_command pgrep
export XDG_RUNTIME_DIR="$WORK/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"

# comm, pgrep -x, killall.
"$SEALEXEC" run /bin/sleep 30 &
sleeper=$!
"$SEALEXEC" run --name napper /bin/sleep 30 &
napper=$!
i=0
while [ "$(cat /proc/$sleeper/comm)" != sleep ] || [ "$(cat /proc/$napper/comm)" != napper ]; do
  i=$((i + 1))
  [ $i -lt 100 ] || fail "comm stayed '$(cat /proc/$sleeper/comm)' and '$(cat /proc/$napper/comm)'"
  sleep 0.05
done
pgrep -x sleep | grep -qx "$sleeper" || fail "pgrep -x sleep does not find pid $sleeper"
pgrep -x napper | grep -qx "$napper" || fail "pgrep -x napper does not find pid $napper"
# The program is still the sealed copy.
case $(readlink /proc/$sleeper/exe) in
  /memfd:sealexec:sleep:*) ;;
  *) fail "/proc/$sleeper/exe is $(readlink /proc/$sleeper/exe)" ;;
esac
kill "$sleeper"
if command -v killall >/dev/null 2>&1; then
  killall -w napper || fail "killall napper failed"
else
  echo "SKIPPED (part): killall is not installed" >&2
  kill "$napper"
fi
wait "$napper" 2>/dev/null || true
wait "$sleeper" 2>/dev/null || true

# A script's $0.
printf '#!/bin/sh\necho "name=${0##*/}"\ncat /proc/$$/comm\n' >"$WORK/whoami"
chmod +x "$WORK/whoami"
expect_code 0 "$SEALEXEC" run "$WORK/whoami"
expect_eq "$(cat "$WORK/out")" "name=whoami
whoami" "the script's \$0 and comm"
expect_code 0 "$SEALEXEC" run --name other "$WORK/whoami"
expect_eq "$(head -n1 "$WORK/out")" "name=other" "the script's \$0 with --name"

expect_code 125 "$SEALEXEC" run --argv0 foo "$WORK/whoami"
expect_error_line "sealexec: --argv0: " "has no effect on a #! script"

# Name-dispatching scripts from the system.
if command -v bzip2 >/dev/null 2>&1 && [ -x /usr/bin/bzcmp ]; then
  printf 'one\ntwo\n' | bzip2 >"$WORK/a.bz2"
  printf 'one\nTWO\n' | bzip2 >"$WORK/b.bz2"
  set +e
  (cd "$WORK" && /usr/bin/bzcmp a.bz2 b.bz2) >"$WORK/direct" 2>&1
  direct=$?
  set -e
  (cd "$WORK" && expect_code "$direct" "$SEALEXEC" run /usr/bin/bzcmp a.bz2 b.bz2)
  # bzcmp names its temporary file, which differs from run to run.
  tmpname='s#/tmp/bzdiff\.[A-Za-z0-9]*#TMP#'
  expect_eq "$(sed "$tmpname" "$WORK/out")" "$(sed "$tmpname" "$WORK/direct")" \
    "bzcmp's output through sealexec"
  grep -q "differ" "$WORK/direct" || fail "bzcmp did not compare: $(cat "$WORK/direct")"
else
  echo "SKIPPED (part): bzip2 is not installed" >&2
fi
if [ -x /usr/bin/xzegrep ] && command -v xz >/dev/null 2>&1; then
  printf 'apple\nbanana\ncherry\n' | xz >"$WORK/f.xz"
  (cd "$WORK" && /usr/bin/xzegrep 'an+a|rr' f.xz) >"$WORK/direct" 2>&1
  (cd "$WORK" && expect_code 0 "$SEALEXEC" run /usr/bin/xzegrep 'an+a|rr' f.xz)
  expect_eq "$(cat "$WORK/out")" "$(cat "$WORK/direct")" "xzegrep's output through sealexec"
  expect_eq "$(cat "$WORK/out")" "banana
cherry" "xzegrep's matches"
else
  echo "SKIPPED (part): xz-utils is not installed" >&2
fi

# No trusted place for the links: a group-writable TMPDIR without a sticky bit.
unset XDG_RUNTIME_DIR
mkdir -m 777 "$WORK/open-tmp"
chmod 777 "$WORK/open-tmp"
expect_code 0 env TMPDIR="$WORK/open-tmp" "$SEALEXEC" run "$WORK/whoami"
expect_file_contains "$WORK/out" "name="
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: warning: $WORK/whoami: runs as /dev/fd/"
expect_file_contains "$WORK/err" "is not a directory that only you or root can change"
