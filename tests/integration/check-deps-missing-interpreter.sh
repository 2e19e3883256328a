#!/bin/sh
# A program whose PT_INTERP names a file that does not exist cannot start
# (execve fails with ENOENT). check --deps must not leave the interpreter out
# of the closure without a word: it has to name the missing interpreter.
. "$TEST_LIB"
unset LD_LIBRARY_PATH
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler"
[ ! -e /nonexistent/ld.so ] || skip "/nonexistent/ld.so exists"

printf 'int main(void) { return 0; }\n' >"$WORK/m.c"
"$cc" -Wl,--dynamic-linker=/nonexistent/ld.so -o "$WORK/badinterp" "$WORK/m.c" || fail "cannot link"
LC_ALL=C readelf -lW "$WORK/badinterp" | grep -q 'interpreter: /nonexistent/ld.so' || fail "no such PT_INTERP"
code=0
"$WORK/badinterp" 2>/dev/null || code=$?
[ "$code" -ne 0 ] || fail "a program with a missing interpreter ran"

code=0
"$SEALEXEC" check --deps "$WORK/badinterp" >"$WORK/out" 2>"$WORK/err" || code=$?
grep -q '/nonexistent/ld.so' "$WORK/out" "$WORK/err" || {
  cat "$WORK/out" "$WORK/err" >&2
  fail "check --deps (exit $code) does not mention the missing interpreter /nonexistent/ld.so"
}
