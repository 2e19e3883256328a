#!/bin/sh
# sealexec script: a script that does not compile exits 124 after the
# compiler's diagnostics, which name the script by its real absolute path and
# the right line, even though sealexec replaced the '#!/usr/bin/env sealexec'
# line and compiled a copy. Nothing is cached for it.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
require_command cc

mkdir "$WORK/diag"
real=$(cd "$WORK/diag" && pwd -P)/bad.c
# Line 5 holds the syntax error.
cat >"$WORK/diag/bad.c" <<'SRC'
#!/usr/bin/env sealexec
#include <stdio.h>
int main(void) {
  puts("never");
  int x = ;
  return x;
}
SRC
chmod +x "$WORK/diag/bad.c"
backdate "$WORK/diag/bad.c"

check_diagnostics() { # WHAT
  expect_file_contains "$WORK/err" "$real:5:"
  if grep -F "$real:" "$WORK/err" | grep -E ':[0-9]+:' | grep -vF "$real:5:" | grep -q .; then
    cat "$WORK/err" >&2
    fail "$1: an error on a line other than 5"
  fi
  if grep -qF 'sealexec-build-' "$WORK/err"; then
    cat "$WORK/err" >&2
    fail "$1: the diagnostics name sealexec's temporary copy instead of $real"
  fi
  [ ! -s "$WORK/out" ] || fail "$1: unexpected stdout: $(cat "$WORK/out")"
}

# By its absolute path, by a relative one from its directory, and as ./bad.c.
expect_code 124 "$SEALEXEC" script "$WORK/diag/bad.c"
check_diagnostics "sealexec script <absolute path>"
cd "$WORK/diag"
expect_code 124 "$SEALEXEC" bad.c
check_diagnostics "sealexec bad.c"
expect_code 124 env PATH="$(dirname "$SEALEXEC"):$PATH" ./bad.c
check_diagnostics "./bad.c"
cd "$WORK"

expect_eq "$(script_entries)" 0 "script: entries after failed compiles"
if grep -E ' (script|manifest): ' "$WORK/ls"; then
  fail "an entry for the script that did not compile"
fi

# Fixed, it compiles and runs; line numbers keep following the file.
sed 's/int x = ;/int x = 0;/' "$WORK/diag/bad.c" >"$WORK/diag/good.c"
backdate "$WORK/diag/good.c"
expect_code 0 "$SEALEXEC" script "$WORK/diag/good.c"
expect_out "never" "the fixed script"
