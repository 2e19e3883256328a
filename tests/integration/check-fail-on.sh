#!/bin/sh
# check's exit codes: 0 when the files were checked and no --fail-on finding
# is present, 1 when one is (with --deps, a culprit anywhere in a program's
# closure counts for execstack and wx), 2 for bad usage (an unknown finding,
# listing the known ones; no PATH) and whenever a file could not be checked,
# findings or not.
. "$TEST_LIB"
unset LD_LIBRARY_PATH
cp -r "$EXAMPLES/execstack-app" "$WORK/app"
hello=$EXAMPLES/hello
culprit=$WORK/app/libculprit.so
user=$WORK/app/uses-culprit

# 0: checked, nothing to fail on.
expect_code 0 "$SEALEXEC" check --fail-on execstack "$hello"
expect_code 0 "$SEALEXEC" check --fail-on execstack,wx,textrel,no-pie "$hello"
expect_code 0 "$SEALEXEC" check --fail-on wx,textrel "$culprit"
# Findings present but not asked for: still 0.
expect_code 0 "$SEALEXEC" check "$culprit"
expect_file_contains "$WORK/out" "1 ELF file checked, 1 execstack"

# 1: a finding asked for is present; the report is printed all the same.
expect_code 1 "$SEALEXEC" check --fail-on execstack "$culprit"
grep -q "^lib  *ld\.so  .* $culprit\$" "$WORK/out" || fail "no row for the culprit: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
expect_code 1 "$SEALEXEC" check --fail-on wx,execstack "$hello" "$culprit"
expect_code 1 "$SEALEXEC" check --json --fail-on execstack "$culprit"
python3 -m json.tool "$WORK/out" >/dev/null 2>&1 || fail "--fail-on spoilt the JSON: $(cat "$WORK/out")"
expect_code 1 "$SEALEXEC" check --fail-on partial-relro "$hello"
expect_code 0 "$SEALEXEC" check --fail-on no-pie "$hello"
# The program alone is clean; its closure is not.
expect_code 0 "$SEALEXEC" check --fail-on execstack "$user"
expect_code 1 "$SEALEXEC" check --deps --fail-on execstack "$user"
expect_code 0 "$SEALEXEC" check --deps --fail-on wx "$user"

# A W+X library in the closure trips --fail-on wx, not execstack.
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
if [ -n "$cc" ]; then
  mkdir "$WORK/wx"
  printf 'int f(void) { return 3; }\n' >"$WORK/wx/f.c"
  printf 'int f(void);\nint main(void) { return f() - 3; }\n' >"$WORK/wx/main.c"
  # -N puts everything in one RWE PT_LOAD.
  "$cc" -shared -fPIC -nostdlib -Wl,-N -Wl,-z,noexecstack -o "$WORK/wx/libwx.so" "$WORK/wx/f.c" 2>/dev/null \
    || fail "cannot link a W+X library"
  "$cc" -o "$WORK/wx/prog" "$WORK/wx/main.c" -L"$WORK/wx" -lwx -Wl,-rpath,'$ORIGIN' || fail "cannot link prog"
  LC_ALL=C readelf -lW "$WORK/wx/libwx.so" | grep -q 'LOAD .* RWE ' || fail "the library has no RWE LOAD"
  expect_code 1 "$SEALEXEC" check --fail-on wx "$WORK/wx/libwx.so"
  expect_file_contains "$WORK/out" "W^X: program header 0 is a writable and executable PT_LOAD"
  expect_code 0 "$SEALEXEC" check --fail-on wx "$WORK/wx/prog"
  expect_code 1 "$SEALEXEC" check --deps --fail-on wx "$WORK/wx/prog"
  expect_file_contains "$WORK/out" "culprit: libwx.so => $(cd "$WORK/wx" && pwd -P)/libwx.so has 1 writable and executable PT_LOAD segment"
  expect_code 0 "$SEALEXEC" check --deps --fail-on execstack "$WORK/wx/prog"
fi

# 2: an unknown finding, with the known ones listed; nothing on stdout.
expect_code 2 "$SEALEXEC" check --fail-on bogus "$hello"
expect_error_line "sealexec: --fail-on: " "unknown finding 'bogus'"
for name in execstack wx textrel no-relro partial-relro no-pie no-ibt no-shstk no-bti duplicate-gnu-stack; do
  expect_file_contains "$WORK/err" "$name"
done
expect_code 2 "$SEALEXEC" check --fail-on execstack,bogus "$culprit"
expect_error_line "sealexec: --fail-on: " "unknown finding 'bogus'"
expect_code 2 "$SEALEXEC" check --fail-on EXECSTACK "$culprit"

# 2: no PATH.
expect_code 2 "$SEALEXEC" check
expect_error_line "sealexec: " "no PATH given"
expect_code 2 "$SEALEXEC" check --fail-on execstack
expect_error_line "sealexec: " "no PATH given"

# 2: a file that cannot be checked wins over a finding, and the scan goes on.
expect_code 2 "$SEALEXEC" check --fail-on execstack "$WORK/missing" "$culprit"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: $WORK/missing: "
grep -q " $culprit\$" "$WORK/out" || fail "the scan stopped at the missing file: $(cat "$WORK/out")"
expect_file_contains "$WORK/out" "1 ELF file checked, 1 execstack"
expect_file_contains "$WORK/out" "1 could not be checked"
