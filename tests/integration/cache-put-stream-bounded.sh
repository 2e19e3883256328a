#!/bin/sh
# A put from a stream without end (yes | sealexec cache put k -) stops once
# it is larger than the cache keeps (max_size), with one line and exit 2,
# instead of filling the disk; nothing of it is left.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
C=$WORK/cache
set +e
yes | "$SEALEXEC" cache --dir "$C" --max-size 1M put endless - >"$WORK/out" 2>"$WORK/err"
code=$?
set -e
expect_eq "$code" 2 "exit code of an endless put"
expect_error_line "sealexec: <stdin>: " "is larger than the cache keeps (max_size is 1048576 bytes"
[ -z "$(ls -A "$C/tmp")" ] || fail "the refused put left temporary files: $(ls -la "$C/tmp")"
expect_eq "$(count_files "$C/cas")" 0 "blobs after the refused put"
expect_code 1 sx get endless
# A file over the limit too, compressed or not; one within it is stored.
head -c 2000000 /dev/zero >"$WORK/big"
expect_code 2 sx --max-size 1M put big "$WORK/big"
expect_file_contains "$WORK/err" "is larger than the cache keeps"
expect_code 2 env SEALEXEC_CACHE_COMPRESSION=zstd "$SEALEXEC" cache --dir "$C" --max-size 1M put big "$WORK/big"
expect_file_contains "$WORK/err" "is larger than the cache keeps"
expect_code 0 sx --max-size 3M put big "$WORK/big"
expect_code 0 sx get big
cmp -s "$WORK/out" "$WORK/big" || fail "the stored file differs"
