#!/bin/sh
# A program rewritten in place while sealexec copies it never runs as a mix
# of two versions (issue 10, attack 4). A 1 MiB self-checking script carries
# its version on its first and last lines and exits 3 when they disagree; a
# writer rewrites it in place, alternating two versions of the same size,
# while it is run again and again: (a) with pwrites over the old bytes,
# (b) with ftruncate to 0 and then the writes. Each run must execute one whole
# version, or be refused: 126 "kept changing" (the copy was retried and the
# file never held still), or 126 "is empty" (it was copied in the instant
# after the truncate, a state the file really was in).
#
# SEALEXEC_REWRITE_RUNS sets the runs per mode (make stress runs many more).
. "$TEST_LIB"
require_command python3
runs=${SEALEXEC_REWRITE_RUNS:-80}

# make_version FILE VERSION: about 1 MiB; every version has the same size.
make_version() {
  python3 - "$1" "$2" <<'EOF'
import sys
path, version = sys.argv[1], sys.argv[2]
padding = "# " + "p" * 1021 + "\n"
with open(path, "w") as f:
    f.write("#!/bin/sh\n")
    f.write("first=%s\n" % version)
    f.write(padding * 1024)
    f.write("last=%s\n" % version)
    f.write('[ "$first" = "$last" ] || { echo "torn: $first/$last"; exit 3; }\n')
    f.write('echo "whole $first"\n')
EOF
}

make_version "$WORK/a" AAAAAAAA
make_version "$WORK/b" BBBBBBBB
[ "$(wc -c <"$WORK/a")" -eq "$(wc -c <"$WORK/b")" ] || fail "the versions differ in size"

# The writer: rewrites $1 in place (same inode) until $WORK/stop exists (or
# $WORK is gone: the test failed), as the attack did: each rewrite is 16
# pwrites of 64 KiB, back to back, so that while one is under way the file
# has the new first line and the old last one, and a copy that only compares
# what it read twice sees the same mix both times. Every sixteenth rewrite is
# followed by a moment of rest, so that some copies find the file still and
# whole (without any, every copy would meet a write and be refused). The
# writer runs at a real-time priority where it may: preempted in the middle of
# a rewrite, it would leave the file mixed and still, which no copy can tell
# from a file at rest (docs/run.md).
start_writer() {
  rt=
  if command -v chrt >/dev/null 2>&1 && chrt -f 10 true 2>/dev/null; then rt="chrt -f 10"; fi
  $rt python3 - "$1" "$2" "$WORK/a" "$WORK/b" "$WORK/stop" "$WORK/writing" <<'EOF' &
import os, sys, time
path, mode, a_path, b_path, stop, started = sys.argv[1:7]
versions = [open(p, "rb").read() for p in (a_path, b_path)]
chunk = 64 * 1024
fd = os.open(path, os.O_WRONLY)
open(started, "w").close()
i = 0
while os.path.exists(started) and not os.path.exists(stop):
    data = versions[i % 2]
    if mode == "truncate":
        os.ftruncate(fd, 0)
    for offset in range(0, len(data), chunk):
        if os.pwrite(fd, data[offset:offset + chunk], offset) != len(data[offset:offset + chunk]):
            sys.exit("short write")
    i += 1
    if i % 16 == 0:
        time.sleep(0.002)
EOF
  writer=$!
  tries=0
  while [ ! -e "$WORK/writing" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 200 ] || fail "the writer did not start"
    sleep 0.05
  done
}

# attack MODE: $runs runs against a writer in MODE; fails on any torn run.
attack() {
  mode=$1
  rm -f "$WORK/stop" "$WORK/writing"
  cp "$WORK/a" "$WORK/prog"
  chmod +x "$WORK/prog"
  start_writer "$WORK/prog" "$mode"
  whole=0
  refused=0
  i=0
  while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    set +e
    "$SEALEXEC" run "$WORK/prog" >"$WORK/out" 2>"$WORK/err"
    code=$?
    set -e
    case "$code:$(cat "$WORK/out")" in
      "0:whole AAAAAAAA" | "0:whole BBBBBBBB")
        [ ! -s "$WORK/err" ] || fail "$mode: unexpected stderr: $(cat "$WORK/err")"
        whole=$((whole + 1))
        ;;
      126:)
        expect_lines "$WORK/err" 1
        if grep -qF "$WORK/prog: kept changing while it was being copied (3 attempts)" "$WORK/err" ||
          grep -qF "$WORK/prog: is empty" "$WORK/err"; then
          refused=$((refused + 1))
        else
          : >"$WORK/stop"; wait "$writer" || true
          fail "$mode: run $i: exit 126 with an unexpected message: $(cat "$WORK/err")"
        fi
        ;;
      *)
        : >"$WORK/stop"; wait "$writer" || true
        fail "$mode: run $i ran a torn copy: exit $code, output '$(cat "$WORK/out")', stderr '$(cat "$WORK/err")'"
        ;;
    esac
  done
  : >"$WORK/stop"
  wait "$writer" || fail "$mode: the writer failed"
  echo "$mode: $whole whole runs, $refused refused, of $runs"
  [ "$whole" -gt 0 ] || fail "$mode: no run found the file still; the test proves nothing"
}

attack pwrite
attack truncate
