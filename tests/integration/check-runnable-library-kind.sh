#!/bin/sh
# A library you can also run (pam_cap.so's shape: ET_DYN, PT_INTERP, an
# entry point of its own, no soname, no DF_1_PIE) is a 'lib', not a 'pie':
# it exports the functions it defines and main is not one of them. A real
# program stays 'pie'.
. "$TEST_LIB"
require_command readelf
require_command python3
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler"
interp=$(LC_ALL=C readelf -lW "$EXAMPLES/hello" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
[ -n "$interp" ] || fail "no interpreter in the hello example"

cat >"$WORK/so.c" <<C
#include <stdio.h>
#include <stdlib.h>
const char so_interp[] __attribute__((section(".interp"))) = "$interp";
int pam_sm_authenticate(void) { return 0; }
void so_start(void) { puts("runnable library"); exit(0); }
C
"$cc" -shared -fPIC -Wl,-e,so_start -o "$WORK/librun.so" "$WORK/so.c" || fail "could not build the runnable library"
LC_ALL=C readelf -lW "$WORK/librun.so" | grep -q '^ *INTERP ' || fail "the library has no PT_INTERP"
! LC_ALL=C readelf -dW "$WORK/librun.so" | grep -Eq 'SONAME|PIE' || fail "the library has a soname or DF_1_PIE"
expect_code 0 "$WORK/librun.so"
expect_eq "$(cat "$WORK/out")" "runnable library" "running the library"

expect_code 0 "$SEALEXEC" check --json "$WORK/librun.so" "$EXAMPLES/hello"
python3 - "$WORK/out" <<'PY' || fail "kinds: $(cat "$WORK/out")"
import json, sys
lib, hello = json.load(open(sys.argv[1]))["files"]
assert lib["type"] == "lib" and lib["pie"] is False, lib["type"]
assert hello["type"] == "pie" and hello["pie"] is True, hello["type"]
PY
