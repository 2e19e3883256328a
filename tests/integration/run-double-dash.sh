#!/bin/sh
# "--" ends sealexec's own options, with or without options before it:
# "run [OPTIONS] -- PROGRAM ARGS" runs PROGRAM with ARGS (a later "--" and
# option-like ARGS included), and lets PROGRAM be a file whose name starts with
# "-".
. "$TEST_LIB"

hello_expect() { # ARGS...: the expected output of hello
  echo "hello from sealed memory"
  i=0
  for a in "$@"; do i=$((i + 1)); echo "arg $i: $a"; done
}

expect_code 0 "$SEALEXEC" run -- "$EXAMPLES/hello" --version -- x
hello_expect --version -- x >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "run -- PROGRAM: $(cat "$WORK/out" "$WORK/err")"

expect_code 0 "$SEALEXEC" run -v -- "$EXAMPLES/hello" a
hello_expect a >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "run -v -- PROGRAM: $(cat "$WORK/out")"
expect_file_contains "$WORK/err" "sealexec:hello:"

expect_code 0 "$SEALEXEC" run --argv0 custom -- "$FIXTURES/exe-probe"
expect_file_contains "$WORK/out" "argv0: custom"

expect_code 0 "$SEALEXEC" run --name n --argv0 custom -- - <"$FIXTURES/exe-probe"
expect_file_contains "$WORK/out" "argv0: custom"
expect_file_contains "$WORK/out" "exe: /memfd:sealexec:n:"

# A program whose name looks like an option, found in PATH after "--".
cp "$EXAMPLES/hello" "$WORK/-v"
expect_code 0 sh -c 'PATH="$1" exec "$2" run -- -v x' sh "$WORK" "$SEALEXEC"
hello_expect x >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "run -- -v: $(cat "$WORK/out" "$WORK/err")"
