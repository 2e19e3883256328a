#!/bin/sh
# -v says on stderr what was sealed: the memfd name and the full XXH3-128
# digest, the name it runs under and its name link, and for a $ORIGIN
# program the LD_LIBRARY_PATH it runs with; without -v sealexec writes
# nothing to stderr. The program's stdout is unaffected.
. "$TEST_LIB"
require_command xxh128sum

full=$(xxh128sum "$EXAMPLES/hello" | cut -d' ' -f1)
digest=$(xxh_prefix "$EXAMPLES/hello")

expect_code 0 "$SEALEXEC" run "$EXAMPLES/hello"
[ ! -s "$WORK/err" ] || fail "stderr without -v: $(cat "$WORK/err")"
cp "$WORK/out" "$WORK/quiet"

expect_code 0 "$SEALEXEC" run -v "$EXAMPLES/hello"
cmp "$WORK/out" "$WORK/quiet" || fail "-v changed the program's stdout: $(cat "$WORK/out")"
expect_lines "$WORK/err" 2
expect_file_contains "$WORK/err" "sealexec: "
expect_file_contains "$WORK/err" "sealexec:hello:$digest"
# The second line: the process name and the link that gives it.
expect_file_contains "$WORK/err" "sealexec: running it under the name hello, through "
grep -q '/names/[0-9][0-9]*/hello$' "$WORK/err" || fail "no name link in: $(cat "$WORK/err")"
expect_file_contains "$WORK/err" "$full"
expect_file_contains "$WORK/err" "$EXAMPLES/hello"

expect_code 0 "$SEALEXEC" run --verbose --name shown "$EXAMPLES/hello"
expect_file_contains "$WORK/err" "sealexec:shown:$digest"

greet=$EXAMPLES/origin-app/bin/greet
bin=$(cd "$EXAMPLES/origin-app/bin" && pwd -P)
unset LD_LIBRARY_PATH
expect_code 0 "$SEALEXEC" run -v "$greet"
expect_eq "$(cat "$WORK/out")" 'hello from a library found through $ORIGIN' "greet's output"
expect_file_contains "$WORK/err" "sealexec:greet:$(xxh_prefix "$greet")"
expect_file_contains "$WORK/err" "LD_LIBRARY_PATH=$bin/../lib"
