#!/bin/sh
# A --sha256 value that is not 64 hexadecimal digits is a usage error (125,
# one line naming --sha256) and the program does not run -- an empty value
# included: it must not silently turn the pin off.
. "$TEST_LIB"
require_command sha256sum

cp "$SOURCE_DIR/examples/hello.sh" "$WORK/tool"
chmod +x "$WORK/tool"
pin=$(sha256sum "$WORK/tool" | cut -d' ' -f1)
short=$(printf %s "$pin" | cut -c1-63)

for bad in xyz "$short" "${pin}0" "${short}g" " $pin" "$pin "; do
  expect_code 125 "$SEALEXEC" run --sha256 "$bad" "$WORK/tool"
  expect_error_line "sealexec: " "--sha256"
done

# No value at all.
expect_code 125 "$SEALEXEC" run --sha256
expect_error_line "sealexec: " "--sha256"

# An empty value (say, an unset variable in a caller's script).
expect_code 125 "$SEALEXEC" run --sha256 "" "$WORK/tool"
expect_error_line "sealexec: " "--sha256"
