#!/bin/sh
# A program rewritten in place while sealexec copies it never runs as a mix
# of two versions (issue 10, attack 4). A 1 MiB self-checking script carries
# its version on its first and last lines and exits 3 when they disagree; a
# writer rewrites it in place, alternating two versions of the same size,
# while it is run again and again. The writer pauses in the middle of each
# rewrite, as a writer preempted there on a loaded machine does: the file is
# then mixed and still, which a copy that only looks for writes made during
# itself cannot tell from a file at rest:
#   (a) like cp: open, 16 pwrites of 64 KiB over the old bytes (with a
#       pause after the second, as if preempted there), close;
#   (b) the same after truncating to 0 (O_TRUNC);
#   (c) a writer that keeps the file open and rewrites it without end.
# sealexec copies a file under a read lease, which the kernel grants only
# while nobody has it open for writing: each run of (a) and (b) executes one
# whole version or is refused with 126; every run of (c) is refused ("is open
# for writing"). Needs root (the lease of a file another user owns needs
# CAP_LEASE; a user running their own file has it too).
#
# SEALEXEC_REWRITE_RUNS sets the runs per mode (make stress runs many more).
. "$TEST_LIB"
require_command python3
runs=${SEALEXEC_REWRITE_RUNS:-30}

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

# The writer: rewrites $1 in MODE $2 until $WORK/stop exists (or $WORK is
# gone: the test failed).
start_writer() {
  python3 - "$1" "$2" "$WORK/a" "$WORK/b" "$WORK/stop" "$WORK/writing" <<'EOF' &
import os, sys, time
path, mode, a_path, b_path, stop, started = sys.argv[1:7]
versions = [open(p, "rb").read() for p in (a_path, b_path)]
chunk = 64 * 1024

def rewrite(fd, data):
    for offset in range(0, len(data), chunk):
        piece = data[offset:offset + chunk]
        if os.pwrite(fd, piece, offset) != len(piece):
            sys.exit("short write")
        if offset == chunk:
            # As if preempted here: the file holds the new first line and
            # the old last one, and no write is under way.
            time.sleep(0.001)

held = os.open(path, os.O_WRONLY) if mode == "held" else -1
open(started, "w").close()
i = 0
while os.path.exists(started) and not os.path.exists(stop):
    data = versions[i % 2]
    if mode == "held":
        rewrite(held, data)
    else:
        flags = os.O_WRONLY | (os.O_TRUNC if mode == "truncate" else 0)
        fd = os.open(path, flags)
        rewrite(fd, data)
        os.close(fd)
    i += 1
    if i % 16 == 0:
        time.sleep(0.002)  # now and then the file is at rest, whole
EOF
  writer=$!
  tries=0
  while [ ! -e "$WORK/writing" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 200 ] || fail "the writer did not start"
    sleep 0.05
  done
}

# attack MODE RUNS: RUNS runs against a writer in MODE; fails on any torn
# run, and counts whole and refused ones.
attack() {
  mode=$1
  count=$2
  rm -f "$WORK/stop" "$WORK/writing"
  cp "$WORK/a" "$WORK/prog"
  chmod +x "$WORK/prog"
  start_writer "$WORK/prog" "$mode"
  whole=0
  refused=0
  i=0
  while [ "$i" -lt "$count" ]; do
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
        if grep -qF "$WORK/prog: is open for writing by another process" "$WORK/err" ||
          grep -qF "$WORK/prog: kept changing while it was being copied (3 attempts)" "$WORK/err"; then
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
  echo "$mode: $whole whole runs, $refused refused, of $count"
}

require_root "the writer and sealexec must both be able to open the file; a lease of it needs its owner or CAP_LEASE"
attack pwrite "$runs"
[ "$whole" -gt 0 ] || fail "pwrite: no run found the file at rest; the test proves nothing"
attack truncate "$runs"
[ "$whole" -gt 0 ] || fail "truncate: no run found the file at rest; the test proves nothing"
attack held 4
expect_eq "$whole" 0 "runs of a file that a writer keeps open"
expect_file_contains "$WORK/err" "is open for writing by another process, so it may be in the middle of a rewrite; waited 256 ms for it to be closed"
