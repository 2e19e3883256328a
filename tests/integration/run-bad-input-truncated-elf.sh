#!/bin/sh
# A truncated ELF file exits 126 with one line saying "truncated": cut inside
# the ELF identification, inside the file header, inside the program header
# table, and inside a loadable segment.
. "$TEST_LIB"

size=$(wc -c <"$EXAMPLES/hello")
for length in 4 40 100 200 $((size / 2)); do
  head -c "$length" "$EXAMPLES/hello" >"$WORK/cut-$length"
  chmod +x "$WORK/cut-$length"
  expect_code 126 "$SEALEXEC" run "$WORK/cut-$length"
  expect_error_line "sealexec: $WORK/cut-$length: " "truncated"
done
