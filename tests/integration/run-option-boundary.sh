#!/bin/sh
# sealexec's own options end at PROGRAM: a flag (-v, --verbose) takes no value
# and never swallows PROGRAM, "-" or "--"; an option's value may be given as
# "--opt=value" or "--opt value" (even when it starts with "-"); everything
# from PROGRAM on belongs to the program, sealexec's own option names included.
. "$TEST_LIB"

hello_expect() { # ARGS...: what hello prints for these arguments
  echo "hello from sealed memory"
  i=0
  for a in "$@"; do i=$((i + 1)); echo "arg $i: $a"; done
}
check_hello() { # WHAT ARGS...
  what=$1
  shift
  hello_expect "$@" >"$WORK/expected"
  cmp -s "$WORK/out" "$WORK/expected" || fail "$what: hello printed: $(cat "$WORK/out")"
}

for flag in -v --verbose; do
  expect_code 0 "$SEALEXEC" run "$flag" "$EXAMPLES/hello" a
  check_hello "run $flag PROGRAM" a
  expect_file_contains "$WORK/err" "sealexec:hello:"

  expect_code 0 "$SEALEXEC" run --name n "$flag" "$EXAMPLES/hello"
  check_hello "run --name n $flag PROGRAM"
  expect_file_contains "$WORK/err" "sealexec:n:"

  expect_code 0 sh -c 'exec "$1" run "$2" - a <"$3"' sh "$SEALEXEC" "$flag" "$EXAMPLES/hello"
  check_hello "run $flag - (stdin)" a
  expect_file_contains "$WORK/err" "sealexec:stdin:"

  # A program named like a flag, after "--" (a bare name: found in PATH).
  cp "$EXAMPLES/hello" "$WORK/-v"
  expect_code 0 sh -c 'PATH="$1" exec "$2" run "$3" -- -v b' sh "$WORK" "$SEALEXEC" "$flag"
  check_hello "run $flag -- -v" b
done

# Values: inline, separate, and starting with "-".
expect_code 0 "$SEALEXEC" run --argv0=inline "$FIXTURES/exe-probe"
expect_file_contains "$WORK/out" "argv0: inline"
expect_code 0 "$SEALEXEC" run --argv0 -dash "$FIXTURES/exe-probe"
expect_file_contains "$WORK/out" "argv0: -dash"
expect_code 0 "$SEALEXEC" run --name --verbose "$FIXTURES/exe-probe"
expect_file_contains "$WORK/out" "exe: /memfd:sealexec:--verbose:"
[ ! -s "$WORK/err" ] || fail "--name --verbose turned on -v: $(cat "$WORK/err")"

# After PROGRAM, sealexec's option names are the program's arguments.
expect_code 0 "$SEALEXEC" run "$EXAMPLES/hello" -v --sha256 xyz --help --version -- -
check_hello "options after PROGRAM" -v --sha256 xyz --help --version -- -
[ ! -s "$WORK/err" ] || fail "options after PROGRAM reached sealexec: $(cat "$WORK/err")"
