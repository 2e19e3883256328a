#!/bin/sh
# A $ORIGIN program read from standard input has no origin: it fails to find
# its library, and sealexec warns first with a line that mentions --origin;
# with --origin DIR it finds the library in DIR/../lib.
. "$TEST_LIB"
unset LD_LIBRARY_PATH

greet=$EXAMPLES/origin-app/bin/greet

code=0
"$SEALEXEC" run - <"$greet" >"$WORK/out" 2>"$WORK/err" || code=$?
[ "$code" -ne 0 ] || fail "greet from stdin found its library without an origin: $(cat "$WORK/out")"
[ ! -s "$WORK/out" ] || fail "greet from stdin printed: $(cat "$WORK/out")"
grep '^sealexec: ' "$WORK/err" >"$WORK/ours" || fail "no sealexec warning: $(cat "$WORK/err")"
expect_lines "$WORK/ours" 1
expect_file_contains "$WORK/ours" "sealexec: warning: "
expect_file_contains "$WORK/ours" "--origin"
expect_file_contains "$WORK/err" "libgreeting.so"

expect_code 0 sh -c 'exec "$1" run --origin "$2" - <"$3"' sh \
  "$SEALEXEC" "$EXAMPLES/origin-app/bin" "$greet"
expect_eq "$(cat "$WORK/out")" 'hello from a library found through $ORIGIN' "greet with --origin"
[ ! -s "$WORK/err" ] || fail "unexpected stderr with --origin: $(cat "$WORK/err")"

cat "$greet" | "$SEALEXEC" run --origin "$EXAMPLES/origin-app/bin" - >"$WORK/out" 2>"$WORK/err" \
  || fail "piped greet with --origin failed: $(cat "$WORK/err")"
expect_eq "$(cat "$WORK/out")" 'hello from a library found through $ORIGIN' "piped greet with --origin"
