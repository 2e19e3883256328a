#!/bin/sh
# Usage errors exit 125 with one line starting "sealexec: " on stderr and run
# nothing: no subcommand, an unknown subcommand, run without PROGRAM, an
# unknown option of run before PROGRAM, an option missing its value.
. "$TEST_LIB"

usage_error() { # WHAT COMMAND...
  what=$1
  shift
  expect_code 125 "$@"
  expect_lines "$WORK/err" 1
  case $(cat "$WORK/err") in
    "sealexec: "*) ;;
    *) fail "$what: stderr does not start with 'sealexec: ': $(cat "$WORK/err")" ;;
  esac
  [ ! -s "$WORK/out" ] || fail "$what: unexpected stdout: $(cat "$WORK/out")"
}

usage_error "no subcommand" "$SEALEXEC"
usage_error "unknown subcommand" "$SEALEXEC" frobnicate "$EXAMPLES/hello"
usage_error "unknown top-level option" "$SEALEXEC" --frobnicate
usage_error "run without PROGRAM" "$SEALEXEC" run
expect_file_contains "$WORK/err" "PROGRAM"
usage_error "run -v without PROGRAM" "$SEALEXEC" run -v
usage_error "--name without a value" "$SEALEXEC" run --name
usage_error "--origin without a value" "$SEALEXEC" run --origin
usage_error "--sha256 xyz" "$SEALEXEC" run --sha256 xyz "$EXAMPLES/hello"
expect_file_contains "$WORK/err" "--sha256"
usage_error "unknown long option before PROGRAM" "$SEALEXEC" run --frobnicate "$EXAMPLES/hello"
expect_file_contains "$WORK/err" "--frobnicate"
usage_error "unknown short option before PROGRAM" "$SEALEXEC" run -q "$EXAMPLES/hello"
expect_file_contains "$WORK/err" "-q"
