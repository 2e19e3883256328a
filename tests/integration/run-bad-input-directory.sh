#!/bin/sh
# A directory as PROGRAM exits 126 with one line naming it.
. "$TEST_LIB"

mkdir "$WORK/dir"
expect_code 126 "$SEALEXEC" run "$WORK/dir"
expect_error_line "sealexec: $WORK/dir: " "directory"
expect_code 126 "$SEALEXEC" run /
expect_error_line "sealexec: /: " "directory"
