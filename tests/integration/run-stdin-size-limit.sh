#!/bin/sh
# A program read from a pipe has a size limit: `yes | sealexec run -` stops
# with one line that names the limit and how to raise it, and exits 125,
# instead of filling memory. --max-size sets the limit for a pipe and a file
# alike; a bad size is a usage error. A program within the limit runs.
. "$TEST_LIB"

limit_line() { # SOURCE BYTES
  echo "sealexec: $1: is larger than the limit of $2 bytes; raise the limit with --max-size SIZE"
}

expect_code 125 sh -c 'yes | "$1" run --max-size 1M -' sh "$SEALEXEC"
expect_lines "$WORK/err" 1
expect_eq "$(cat "$WORK/err")" "$(limit_line '<stdin>' 1048576)" "message for yes | run -"
[ ! -s "$WORK/out" ] || fail "unexpected stdout: $(cat "$WORK/out")"

# Exactly at the limit is allowed: hello is far below 1M.
size=$(wc -c <"$EXAMPLES/hello")
expect_code 0 sh -c 'cat "$2" | "$1" run --max-size "$3" -' sh "$SEALEXEC" "$EXAMPLES/hello" "$size"
expect_file_contains "$WORK/out" "hello from sealed memory"
expect_code 125 sh -c 'cat "$2" | "$1" run --max-size "$3" -' sh "$SEALEXEC" "$EXAMPLES/hello" \
  "$((size - 1))"
expect_eq "$(cat "$WORK/err")" "$(limit_line '<stdin>' "$((size - 1))")" "message one byte over"

# A file is refused before anything is copied.
expect_code 125 "$SEALEXEC" run --max-size 1K "$EXAMPLES/hello"
expect_eq "$(cat "$WORK/err")" \
  "sealexec: $EXAMPLES/hello: is $size bytes, more than the limit of 1024 bytes; raise the limit with --max-size SIZE" \
  "message for a file"

expect_code 125 "$SEALEXEC" run --max-size lots "$EXAMPLES/hello"
expect_eq "$(cat "$WORK/err")" "sealexec: --max-size: 'lots' is not a size (like 512M or 2G)" \
  "message for a bad size"
