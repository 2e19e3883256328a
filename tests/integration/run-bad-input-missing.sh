#!/bin/sh
# A PROGRAM that does not exist exits 127 with one line "sealexec: FILE: not
# found": a missing file, a file in a missing directory, and a path through a
# regular file (ENOTDIR).
. "$TEST_LIB"

expect_code 127 "$SEALEXEC" run "$WORK/no-such-program" arg
expect_error_line "sealexec: $WORK/no-such-program: " "not found"

expect_code 127 "$SEALEXEC" run "$WORK/no-such-dir/program"
expect_error_line "sealexec: $WORK/no-such-dir/program: " "not found"

: >"$WORK/plain"
expect_code 127 "$SEALEXEC" run "$WORK/plain/program"
expect_error_line "sealexec: $WORK/plain/program: " "" # any reason

# A bare name is looked up in PATH, as env(1) does; one that is not there is
# "not found in PATH".
expect_code 127 env PATH="$WORK" "$SEALEXEC" run sh
expect_error_line "sealexec: sh: " "not found in PATH"
