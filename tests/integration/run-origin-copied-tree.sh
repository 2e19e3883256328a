#!/bin/sh
# $ORIGIN follows the file that is run: a copy of the origin-app tree whose
# lib/ holds a different libgreeting.so makes greet print that library's
# text, a copy without a lib/ fails to load, and --origin points a program at
# another tree. Needs a C compiler to build the different library.
. "$TEST_LIB"
unset LD_LIBRARY_PATH

cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler to build a second libgreeting.so"

cp -r "$EXAMPLES/origin-app" "$WORK/app"
printf 'const char* greeting(void) { return "hello from the copied tree"; }\n' >"$WORK/greeting.c"
"$cc" -shared -fPIC -o "$WORK/app/lib/libgreeting.so" "$WORK/greeting.c" \
  || fail "cannot build the second library"
# Control: on disk, the copy loads its own library.
expect_eq "$("$WORK/app/bin/greet")" "hello from the copied tree" "the copied greet run directly"

expect_code 0 "$SEALEXEC" run "$WORK/app/bin/greet"
expect_eq "$(cat "$WORK/out")" "hello from the copied tree" "the copied greet run by sealexec"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

# The original still loads the original library.
expect_code 0 "$SEALEXEC" run "$EXAMPLES/origin-app/bin/greet"
expect_eq "$(cat "$WORK/out")" 'hello from a library found through $ORIGIN' "the original greet"

# --origin overrides the file's directory.
expect_code 0 "$SEALEXEC" run --origin "$WORK/app/bin" "$EXAMPLES/origin-app/bin/greet"
expect_eq "$(cat "$WORK/out")" "hello from the copied tree" "the original greet with --origin of the copy"

# A lone copy with no ../lib does not pick up any other tree's library.
mkdir -p "$WORK/lonely/bin"
cp "$EXAMPLES/origin-app/bin/greet" "$WORK/lonely/bin/greet"
code=0
"$SEALEXEC" run "$WORK/lonely/bin/greet" >"$WORK/out" 2>"$WORK/err" || code=$?
[ "$code" -ne 0 ] || fail "a greet without ../lib ran: $(cat "$WORK/out")"
expect_file_contains "$WORK/err" "libgreeting.so"
