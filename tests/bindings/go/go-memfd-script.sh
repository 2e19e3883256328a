#!/bin/sh
# The classic Go memfd example, done right (examples/go/memfd-script): a
# "#!/usr/bin/env python3" script embedded in a Go binary.
#  - The classic way (memfd_create with MFD_CLOEXEC, exec /proc/self/fd/N)
#    fails: the kernel starts python3, which cannot open /proc/self/fd/N
#    because the descriptor was closed on exec.
#  - Through libsealexec's C API (spawn, exec) it runs from a sealed memfd:
#    the script sees its arguments and no descriptor beyond 0, 1, 2 and its
#    own, its exit status comes back, and a SHA-256 pin is enforced.
. "$TEST_LIB"
. "$SOURCE_DIR/tests/bindings/go/go-env.sh"
[ -x /usr/bin/python3 ] || skip "the embedded script needs /usr/bin/python3"

prog=$WORK/memfd-script
go_build build -o "$prog" ./memfd-script
if command -v readelf >/dev/null 2>&1; then
  readelf -d "$prog" | grep -q 'NEEDED.*\[libsealexec\.so\.1\]' ||
    fail "memfd-script does not link libsealexec.so.1: $(readelf -d "$prog" | grep NEEDED)"
fi

# check_fds FILE: the fd lines of the script's report are exactly 0, 1, 2 and
# one descriptor of the sealed script.
check_fds() {
  grep '^fd: ' "$1" >"$WORK/fds"
  grep -v '^fd: [012] ' "$WORK/fds" >"$WORK/extra-fds" || true
  for n in 0 1 2; do
    grep -q "^fd: $n " "$WORK/fds" || { cat "$1" >&2; fail "the script has no fd $n"; }
  done
  [ "$(wc -l <"$WORK/extra-fds")" -eq 1 ] ||
    { cat "$1" >&2; fail "the script has descriptors beyond 0, 1, 2 and its own: $(cat "$WORK/extra-fds")"; }
  grep -q '^fd: [0-9]* /memfd:sealexec:memfd-script\.py:[0-9a-f]\{12\}' "$WORK/extra-fds" ||
    { cat "$1" >&2; fail "the extra descriptor is not the sealed script: $(cat "$WORK/extra-fds")"; }
}

# 1. The classic way: the interpreter starts, then cannot open the script.
MEMFD_SCRIPT_EXIT=0 expect_code 2 "$prog" -mode classic one "two words"
expect_file_contains "$WORK/err" "classic: exec /proc/self/fd/"
expect_file_contains "$WORK/err" "can't open file '/proc/self/fd/"
grep -q '^args:' "$WORK/out" && fail "the classic way ran the script: $(cat "$WORK/out")"

# 2. spawn (the default): arguments, status, no leak. The Go process holds
# two descriptors without close-on-exec, one of its own (-leak-bait) and one
# inherited (9); neither reaches the script.
MEMFD_SCRIPT_EXIT=7 expect_code 7 "$prog" -leak-bait one "two words" 9</dev/null
expect_file_contains "$WORK/out" 'args: ["one", "two words"]'
bait=$(sed -n 's/^memfd-script: leak bait: descriptor \([0-9]*\) .*/\1/p' "$WORK/err")
[ -n "$bait" ] || fail "no leak bait reported: $(cat "$WORK/err")"
grep -q "^fd: $bait " "$WORK/out" && fail "the bait descriptor $bait leaked into the script"
grep -q "^fd: 9 " "$WORK/out" && fail "descriptor 9 of the caller leaked into the script"
check_fds "$WORK/out"
grep -q '^script: ' "$WORK/out" || fail "no script line: $(cat "$WORK/out")"
MEMFD_SCRIPT_EXIT=0 expect_code 0 "$prog" plain
expect_file_contains "$WORK/out" 'args: ["plain"]'

# 3. exec: this process becomes the script, its status the program's. Run
# with every descriptor above 2 closed, since exec keeps the caller's own
# inheritable ones (as any exec does).
MEMFD_SCRIPT_EXIT=5 expect_code 5 /usr/bin/python3 -c '
import os, sys
os.closerange(3, 1 << 16)
os.execv(sys.argv[1], sys.argv[1:])' "$prog" -mode exec "a b" c
expect_file_contains "$WORK/out" 'args: ["a b", "c"]'
check_fds "$WORK/out"

# 4. The SHA-256 pin: the script's own digest runs, another is refused with
# SEALEXEC_E_DIGEST_MISMATCH before anything runs.
digest=$(sha256sum "$SOURCE_DIR/examples/go/memfd-script/script.py" | cut -d' ' -f1)
MEMFD_SCRIPT_EXIT=0 expect_code 0 "$prog" -sha256 "$digest" pinned
expect_file_contains "$WORK/out" 'args: ["pinned"]'
wrong=$(printf '%064d' 0)
MEMFD_SCRIPT_EXIT=0 expect_code 125 "$prog" -sha256 "$wrong" pinned
expect_file_contains "$WORK/err" "not the pinned one"
expect_file_contains "$WORK/err" "[SEALEXEC_E_DIGEST_MISMATCH]"
[ ! -s "$WORK/out" ] || fail "a script refused by its pin printed: $(cat "$WORK/out")"

echo "PASS: go memfd-script"
