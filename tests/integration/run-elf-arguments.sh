#!/bin/sh
# A dynamic ELF program runs from sealed memory and receives its arguments
# unchanged, spaces, empty strings and option-like ones included.
. "$TEST_LIB"

expect_code 0 "$SEALEXEC" run "$EXAMPLES/hello" "a b" "" "--not-an-option" "-"
cat >"$WORK/expected" <<'OUT'
hello from sealed memory
arg 1: a b
arg 2: 
arg 3: --not-an-option
arg 4: -
OUT
cmp "$WORK/out" "$WORK/expected" || fail "output differs: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

# "--" ends sealexec's own options.
expect_code 0 "$SEALEXEC" run -- "$EXAMPLES/hello" --version
expect_file_contains "$WORK/out" "arg 1: --version"

# sealexec's own options stop at PROGRAM; the same options after it are the
# program's. Flags take no value, so -v must not swallow PROGRAM.
expect_code 0 "$SEALEXEC" run -v --name=args "$EXAMPLES/hello" -v --name=y
expect_file_contains "$WORK/out" "arg 1: -v"
expect_file_contains "$WORK/out" "arg 2: --name=y"
expect_file_contains "$WORK/err" "memfd sealexec:args:"
