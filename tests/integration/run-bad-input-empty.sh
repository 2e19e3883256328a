#!/bin/sh
# An empty executable file exits 126 with one line "FILE: is empty".
. "$TEST_LIB"

: >"$WORK/empty"
chmod +x "$WORK/empty"
expect_code 126 "$SEALEXEC" run "$WORK/empty"
expect_error_line "sealexec: $WORK/empty: " "is empty"
