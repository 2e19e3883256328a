#!/bin/sh
# Names inside an ELF file are data from outside too: a library whose
# DT_SONAME (and so its users' DT_NEEDED) carries ESC, CSI, a newline, C1
# controls, bytes that are not UTF-8 and a bidi override. `check --deps` shows
# the dependency tree with the name escaped, whether it is found or not, and
# so are the culprit line and its remedy when that library needs an
# executable stack; --json carries the same escaped form in "soname",
# "needed" and the closure's "name"; nothing on stdout or stderr could steer a
# terminal.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/terminal.sh"
unset LD_LIBRARY_PATH

cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler to link a library with a hostile DT_SONAME"

printf 'int answer(void) { return 42; }\n' >"$WORK/lib.c"
printf 'int answer(void);\nint main(void) { return answer(); }\n' >"$WORK/main.c"
"$cc" -shared -fPIC -o "$WORK/libhostile.so" -Wl,-soname,"$HOSTILE" "$WORK/lib.c" \
  || fail "cannot link a library with that soname"
"$cc" -o "$WORK/prog" "$WORK/main.c" "$WORK/libhostile.so" || fail "cannot link the program"

# Text: the tree shows the name (not found: no such file next to the program).
expect_code 0 "$SEALEXEC" check --deps "$WORK/prog" "$WORK/libhostile.so"
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_file_contains "$WORK/out" "─ $HOSTILE_SHOWN => not found"

# Found through RUNPATH $ORIGIN, under that very name, and needing an
# executable stack: a culprit.
mkdir "$WORK/app"
"$cc" -shared -fPIC -Wl,-z,execstack -o "$WORK/app/$HOSTILE" -Wl,-soname,"$HOSTILE" "$WORK/lib.c" \
  || fail "cannot link the execstack library"
"$cc" -o "$WORK/app/prog" "$WORK/main.c" "$WORK/app/$HOSTILE" -Wl,-rpath,'$ORIGIN' \
  || fail "cannot link the program that uses it"
expect_code 0 "$SEALEXEC" check --deps "$WORK/app/prog"
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_file_contains "$WORK/out" "─ $HOSTILE_SHOWN => $WORK/app/$HOSTILE_SHOWN"
expect_file_contains "$WORK/out" "culprit: $HOSTILE_SHOWN => $WORK/app/$HOSTILE_SHOWN "
expect_file_contains "$WORK/out" "remedy: sealexec fix --clear-execstack '$WORK/app/$HOSTILE_SHOWN', or"
expect_file_contains "$WORK/out" "error while loading shared libraries: $HOSTILE_SHOWN: "

python_check='
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
shown = sys.argv[2]
prog, lib = doc["files"]
assert prog["needed"][0] == shown, prog["needed"]
assert lib["soname"] == shown, lib["soname"]
names = [o["name"] for o in prog["closure"]["objects"]]
assert shown in names, names
'
expect_code 0 "$SEALEXEC" check --deps --json "$WORK/prog" "$WORK/libhostile.so"
expect_terminal_safe "$WORK/out" "$WORK/err"
python3 -c "$python_check" "$WORK/out" "$HOSTILE_SHOWN" || fail "check --json: $(cat "$WORK/out")"
