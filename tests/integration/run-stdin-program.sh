#!/bin/sh
# "sealexec run -" reads the program from standard input, both from a pipe and
# from a redirected regular file: ELF programs and #! scripts run, argv[0]
# defaults to "stdin" (or --name), the memfd is named sealexec:stdin:<digest>,
# and an empty standard input is refused with 126.
. "$TEST_LIB"
require_command xxh128sum

printf 'hello from sealed memory\narg 1: x\narg 2: y z\n' >"$WORK/expected"

# From a pipe.
cat "$EXAMPLES/hello" | "$SEALEXEC" run - x "y z" >"$WORK/out" 2>"$WORK/err" \
  || fail "piped hello failed: $(cat "$WORK/err")"
cmp "$WORK/out" "$WORK/expected" || fail "piped hello printed: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr (pipe): $(cat "$WORK/err")"

# From a redirected regular file.
expect_code 0 sh -c 'exec "$1" run - x "y z" <"$2"' sh "$SEALEXEC" "$EXAMPLES/hello"
cmp "$WORK/out" "$WORK/expected" || fail "redirected hello printed: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr (redirect): $(cat "$WORK/err")"

# What the program sees of itself, piped and redirected.
digest=$(xxh_prefix "$FIXTURES/exe-probe")
cat "$FIXTURES/exe-probe" | "$SEALEXEC" run - >"$WORK/out" 2>"$WORK/err" \
  || fail "piped exe-probe failed: $(cat "$WORK/err")"
expect_eq "$(sed -n 's/^exe: //p' "$WORK/out")" "/memfd:sealexec:stdin:$digest (deleted)" "exe (pipe)"
expect_eq "$(sed -n 's/^argv0: //p' "$WORK/out")" "stdin" "argv0 (pipe)"

expect_code 0 sh -c 'exec "$1" run --name piped - <"$2"' sh "$SEALEXEC" "$FIXTURES/exe-probe"
expect_eq "$(sed -n 's/^exe: //p' "$WORK/out")" "/memfd:sealexec:piped:$digest (deleted)" "exe (--name)"
expect_eq "$(sed -n 's/^argv0: //p' "$WORK/out")" "piped" "argv0 (--name)"

# A #! script from standard input.
cat "$SOURCE_DIR/examples/hello.sh" | "$SEALEXEC" run - a b >"$WORK/out" 2>"$WORK/err" \
  || fail "piped hello.sh failed: $(cat "$WORK/err")"
expect_eq "$(sed "$named_path" "$WORK/out")" \
  "hello from a sealed shell script, run by NAMED/stdin with 2 argument(s)" "piped script output"

# Nothing on standard input: an empty program cannot run.
expect_code 126 sh -c 'exec "$1" run - </dev/null' sh "$SEALEXEC"
expect_error_line "sealexec: <stdin>: " "is a character device"
expect_code 126 sh -c ': | "$1" run -' sh "$SEALEXEC"
expect_error_line "sealexec: <stdin>: " "is empty"
: >"$WORK/empty"
expect_code 126 sh -c 'exec "$1" run - <"$2"' sh "$SEALEXEC" "$WORK/empty"
expect_error_line "sealexec: <stdin>: " "is empty"
