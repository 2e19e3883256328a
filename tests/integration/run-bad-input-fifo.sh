#!/bin/sh
# A fifo as PROGRAM exits 126 with one line naming it, at once: sealexec must
# not block opening or reading a fifo that has no writer.
. "$TEST_LIB"
require_command mkfifo

mkfifo "$WORK/fifo"
expect_code 126 timeout 10 "$SEALEXEC" run "$WORK/fifo"
expect_error_line "sealexec: $WORK/fifo: " "fifo"
