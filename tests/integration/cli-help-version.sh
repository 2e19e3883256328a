#!/bin/sh
# sealexec --help lists the run subcommand, --version prints "sealexec
# <version>" with the project's version, and run --help shows run's options;
# all on stdout with exit 0.
. "$TEST_LIB"

expect_code 0 "$SEALEXEC" --help
grep -q '^ *run ' "$WORK/out" || fail "--help does not list run: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr from --help: $(cat "$WORK/err")"
expect_code 0 "$SEALEXEC" -h
grep -q '^ *run ' "$WORK/out" || fail "-h does not list run: $(cat "$WORK/out")"

version=$(sed -n 's/^project(sealexec VERSION \([0-9.]*\).*/\1/p' "$SOURCE_DIR/CMakeLists.txt")
[ -n "$version" ] || fail "cannot find the project version in $SOURCE_DIR/CMakeLists.txt"
expect_code 0 "$SEALEXEC" --version
printf 'sealexec %s\n' "$version" >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "--version printed: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr from --version: $(cat "$WORK/err")"

expect_code 0 "$SEALEXEC" run --help
[ ! -s "$WORK/err" ] || fail "unexpected stderr from run --help: $(cat "$WORK/err")"
for option in --sha256 --argv0 --name --origin --verbose "PROGRAM|-"; do
  expect_file_contains "$WORK/out" "$option"
done
