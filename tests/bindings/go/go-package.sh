#!/bin/sh
# `go test` of the Go wrapper of the C API (examples/go/sealexec): images from
# bytes, files and descriptors, digests and pins, spawn with pipes, env and
# exit status, kill, the cache (shared with the CLI), check, and errors as Go
# error values carrying the C API's code.
. "$TEST_LIB"
. "$SOURCE_DIR/tests/bindings/go/go-env.sh"

go_build test -c -o "$WORK/sealexec.test" ./sealexec
cd "$WORK"
set +e
"$WORK/sealexec.test" -test.v -test.count=1 >"$WORK/test.log" 2>&1
rc=$?
set -e
cat "$WORK/test.log"
[ $rc -eq 0 ] || fail "go test of examples/go/sealexec failed ($rc)"
# Every test ran, none was skipped.
[ "$(grep -c '^--- PASS' "$WORK/test.log")" -ge 9 ] || fail "fewer go tests passed than written"
! grep -q '^--- SKIP' "$WORK/test.log" || fail "a go test was skipped"
echo "PASS: go package"
