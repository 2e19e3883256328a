#!/bin/sh
# The case from the issue, end to end on a copy of the example: a program
# links a library assembled without .note.GNU-stack. It really runs with an
# executable stack; check --deps names the library as the culprit (and
# --fail-on execstack trips on it); run --policy=strict refuses, saying why;
# fix --clear-execstack on the library makes the closure clean, and the
# program then runs under strict with a non-executable stack.
. "$TEST_LIB"
unset LD_LIBRARY_PATH

cp -r "$EXAMPLES/execstack-app" "$WORK/app"
# $ORIGIN is the program's real directory: name it as sealexec will.
app=$(cd "$WORK/app" && pwd -P)
prog=$app/uses-culprit
lib=$app/libculprit.so
cp "$lib" "$WORK/libculprit.orig"

# (1) The precondition: the library's PT_GNU_STACK is RWE, the program's is
# not, and run plainly, the process gets an executable stack.
LC_ALL=C readelf -lW "$lib" | grep -q 'GNU_STACK.* RWE ' || fail "the example library's stack is not RWE"
LC_ALL=C readelf -lW "$prog" | grep -q 'GNU_STACK.* RW  ' || fail "the example program's stack is not RW"
expect_code 0 "$prog"
expect_eq "$(cat "$WORK/out")" "culprit_answer() = 7, stack executable" "the program run directly"

# (2) check --deps: the program itself is fine, the library is the culprit.
expect_code 0 "$SEALEXEC" check --deps "$prog"
grep -q "^pie  *no  .* $prog\$" "$WORK/out" || { cat "$WORK/out" >&2; fail "the program's row is not EXECSTACK no"; }
expect_file_contains "$WORK/out" "├─ libculprit.so => $lib"
expect_file_contains "$WORK/out" "culprit: libculprit.so => $lib requires an executable stack (PT_GNU_STACK has PF_X)"
expect_file_contains "$WORK/out" "SELinux"
expect_file_contains "$WORK/out" "glibc 2.41, glibc.rtld.execstack=0: start-up fails with exit 127"
expect_file_contains "$WORK/out" "glibc 2.41, glibc.rtld.execstack=1 (the default): it runs, and ld.so makes the main stack executable as it loads it"
expect_file_contains "$WORK/out" "glibc 2.41, glibc.rtld.execstack=2 (Debian's backport): it runs"
expect_file_contains "$WORK/out" "glibc <= 2.40 (measured on 2.36)"
expect_file_contains "$WORK/out" "remedy: sealexec fix --clear-execstack $lib, or relink it with -Wl,-z,noexecstack"
[ "$(grep -c 'culprit:' "$WORK/out")" -eq 1 ] || fail "more than one culprit: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

expect_code 1 "$SEALEXEC" check --deps --fail-on execstack "$prog"
# Without --deps the program alone has no execstack finding.
expect_code 0 "$SEALEXEC" check --fail-on execstack "$prog"

expect_code 0 "$SEALEXEC" check --deps --json "$prog"
python3 - "$WORK/out" "$lib" <<'PY' || fail "JSON closure before the fix"
import json, sys
doc = json.load(open(sys.argv[1]))
culprits = doc["files"][0]["closure"]["culprits"]
assert len(culprits) == 1, culprits
c = culprits[0]
assert c["path"] == sys.argv[2] and c["execstack"] is True and c["wx"] is False, c
assert "sealexec fix --clear-execstack " + sys.argv[2] in c["remedy"], c
objects = doc["files"][0]["closure"]["objects"]
assert objects[c["object"]]["name"] == "libculprit.so", objects
assert objects[c["object"]]["ldso_executable_stack"] is True, objects
# A start-up dependency of a program whose stack is not executable
# (measured with glibc 2.41 in a Debian 13 chroot; docs/check.md).
assert c["glibc_2_41"] == [
    {"loaded": "startup", "program_stack": "not-executable", "tunable": 0, "outcome": "refused", "stack": None},
    {"loaded": "startup", "program_stack": "not-executable", "tunable": 1, "outcome": "allowed", "stack": "executable"},
    {"loaded": "startup", "program_stack": "not-executable", "tunable": 2, "outcome": "allowed", "stack": "executable"},
], c["glibc_2_41"]
assert c["intent"] == "pf_x" and "PF_X" in c["warning"], c
PY

# (3) strict refuses, before anything runs, naming the culprit and the remedy.
expect_code 126 "$SEALEXEC" run --policy=strict "$prog"
expect_error_line "sealexec: $prog: refused by --policy=strict: " "libculprit.so => $lib requires an executable stack"
expect_file_contains "$WORK/err" "remedy: sealexec fix --clear-execstack $lib"

# (4) fix the library: a new file, and the closure is clean.
expect_code 0 "$SEALEXEC" fix --clear-execstack "$lib"
expect_eq "$(cat "$WORK/out")" "$lib: clear PF_X on 1 PT_GNU_STACK header" "fix's report"
LC_ALL=C readelf -lW "$lib" | grep -q 'GNU_STACK.* RW  ' || fail "the fixed library's stack is not RW"
# Only the flag changed: the files differ in exactly one byte.
expect_eq "$(cmp -l "$WORK/libculprit.orig" "$lib" | wc -l)" 1 "bytes changed by the fix"
expect_code 0 "$SEALEXEC" check --deps --fail-on execstack "$prog"
expect_file_contains "$WORK/out" "no object in the closure needs an executable stack or breaks W^X"
expect_code 0 "$SEALEXEC" check --deps --json "$prog"
python3 - "$WORK/out" <<'PY' || fail "JSON culprits after the fix: $(cat "$WORK/out")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["files"][0]["closure"]["culprits"] == []
assert all(o.get("ldso_executable_stack") is False for o in doc["files"][0]["closure"]["objects"])
PY

# (5) strict runs it now, silently, and the stack is not executable.
expect_code 0 "$SEALEXEC" run --policy=strict "$prog"
expect_eq "$(cat "$WORK/out")" "culprit_answer() = 7, stack not executable" "the fixed program under strict"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
expect_code 0 "$prog"
expect_eq "$(cat "$WORK/out")" "culprit_answer() = 7, stack not executable" "the fixed program run directly"
