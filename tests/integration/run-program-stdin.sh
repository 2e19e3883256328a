#!/bin/sh
# The program run from memory gets sealexec's standard input untouched:
# /bin/cat run by sealexec copies binary data (NUL, 0xff, no final newline)
# byte for byte, and a #! script reads its standard input, not its own text.
. "$TEST_LIB"

printf 'data\000\377 line\n\001last' >"$WORK/input"
"$SEALEXEC" run /bin/cat <"$WORK/input" >"$WORK/out" 2>"$WORK/err" || fail "cat failed: $(cat "$WORK/err")"
cmp "$WORK/out" "$WORK/input" || fail "cat from memory changed the data: $(od -c "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

printf 'data' | "$SEALEXEC" run /bin/cat >"$WORK/out" 2>"$WORK/err" || fail "piped cat failed: $(cat "$WORK/err")"
printf 'data' >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "piped data changed: $(od -c "$WORK/out")"

# A #! script reads the data after it, not its own text.
printf '#!/bin/sh\nread -r line\necho "got: $line"\n' >"$WORK/reader"
chmod +x "$WORK/reader"
printf 'from stdin\n' | "$SEALEXEC" run "$WORK/reader" >"$WORK/out" 2>"$WORK/err" \
  || fail "reader failed: $(cat "$WORK/err")"
expect_eq "$(cat "$WORK/out")" "got: from stdin" "the script's standard input"
