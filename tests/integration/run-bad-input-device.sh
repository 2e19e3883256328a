#!/bin/sh
# A device as PROGRAM (/dev/null, /dev/zero) exits 126 with one line naming it;
# /dev/zero must not be read forever.
. "$TEST_LIB"

expect_code 126 timeout 10 "$SEALEXEC" run /dev/null
expect_error_line "sealexec: /dev/null: " "device"
expect_code 126 timeout 10 "$SEALEXEC" run /dev/zero
expect_error_line "sealexec: /dev/zero: " "device"
