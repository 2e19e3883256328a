#!/bin/sh
# sealexec script: a successful compile's diagnostics are kept with the
# binary, not shown, so the first run's output is the same as every later
# one's. --warnings and -v show them on every run, cold or warm, from the
# cache; a failed compile shows its diagnostics at once (exit 124).
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler cc-count cc
CC=$WORK/cc-count
export CC

mkdir "$WORK/s"
cd "$WORK/s"
cat >warn.c <<'SRC'
// sealexec: -Wall
#include <stdio.h>
int main(void) {
  int unused_variable;
  puts("ran");
  return 0;
}
SRC
backdate warn.c

expect_code 0 "$SEALEXEC" warn.c
expect_out ran "cold run"
[ ! -s "$WORK/err" ] || fail "the cold run showed the compile's diagnostics: $(cat "$WORK/err")"
expect_eq "$(compiles cc-count)" 1 "compiles after the cold run"
expect_code 0 "$SEALEXEC" warn.c
expect_out ran "warm run"
[ ! -s "$WORK/err" ] || fail "the warm run printed something: $(cat "$WORK/err")"

expect_code 0 "$SEALEXEC" --warnings warn.c
expect_out ran "--warnings"
expect_file_contains "$WORK/err" "unused_variable"
expect_file_contains "$WORK/err" "warn.c:4:"
cp "$WORK/err" "$WORK/first-warnings"
expect_code 0 "$SEALEXEC" script --warnings warn.c
cmp -s "$WORK/err" "$WORK/first-warnings" || fail "--warnings showed something else the second time"
expect_code 0 "$SEALEXEC" -v warn.c
expect_file_contains "$WORK/err" "unused_variable"
expect_not_compiled "-v after --warnings"
expect_eq "$(compiles cc-count)" 1 "compiles after the warm runs"

# A cold compile under --warnings shows them too, once.
expect_code 0 "$SEALEXEC" --rebuild --warnings warn.c
expect_eq "$(grep -c 'unused_variable' "$WORK/err" | tr -d ' ')" \
  "$(grep -c 'unused_variable' "$WORK/first-warnings" | tr -d ' ')" "warnings shown by a cold --warnings run"

# A clean file: --warnings shows nothing.
printf '#include <stdio.h>\nint main(void) { puts("clean"); return 0; }\n' >clean.c
expect_code 0 "$SEALEXEC" clean.c
expect_code 0 "$SEALEXEC" --warnings clean.c
expect_out clean "clean --warnings"
[ ! -s "$WORK/err" ] || fail "--warnings on a clean file printed: $(cat "$WORK/err")"

# A failed compile shows everything at once, warnings included.
printf '// sealexec: -Wall\nint main(void) { int unused_one; return missing; }\n' >bad.c
expect_code 124 "$SEALEXEC" bad.c
expect_file_contains "$WORK/err" "missing"
expect_file_contains "$WORK/err" "unused_one"
expect_file_contains "$WORK/err" "did not compile"
echo "diagnostics: kept, shown on request"
