#!/bin/sh
# A program that needs its executable stack on purpose: GCC nested-function
# trampolines (a nested function whose address is taken). check warns, in
# text and JSON; fix refuses it (exit 3, one line) and changes nothing;
# fix --force clears it, and the program then really crashes, proving the
# warning right. A plain -z execstack program without trampolines gets only
# the weaker warning (explicit PF_X), and fix warns and proceeds.
. "$TEST_LIB"
require_command readelf
require_command python3
cc=
for candidate in "${CC:-}" gcc-12 gcc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs gcc (nested functions are a GNU C extension)"

cat >"$WORK/nested.c" <<'C'
#include <stdio.h>
static int apply(int (*f)(int), int v) { return f(v); }
int main(int argc, char** argv) {
  (void)argv;
  int base = argc + 40;
  int add(int x) { return x + base; } /* its address is taken: a trampoline */
  printf("%d\n", apply(add, 1));
  return 0;
}
C
printf 'int main(void) { return 0; }\n' >"$WORK/plain.c"
# A JIT that writes the very bytes of a trampoline into a heap buffer: its
# stack needs no X, so no trampoline may be reported (only the PF_X sign).
cat >"$WORK/jit.c" <<'C'
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
static int target(void) { return 7; }
int main(void) {
  unsigned char* b = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  *(volatile uint16_t*)(b + 0) = 0xbb49;
  *(volatile uint64_t*)(b + 2) = (uint64_t)(uintptr_t)target;
  *(volatile uint16_t*)(b + 10) = 0xba49;
  *(volatile uint64_t*)(b + 12) = 0;
  *(volatile uint32_t*)(b + 20) = 0x90e3ff49;
  printf("%d\n", ((int (*)(void))b)());
  return 0;
}
C
"$cc" -O2 -o "$WORK/jit" -Wl,-z,execstack "$WORK/jit.c" 2>/dev/null || fail "could not build the JIT program"
expect_code 0 "$SEALEXEC" check --json "$WORK/jit"
grep -q '"intent":"pf_x"' "$WORK/out" || fail "a heap JIT is taken for stack trampolines: $(cat "$WORK/out")"
# Without PIE, GCC loads the nested function's 32-bit address with
# mov $imm32, %r11d (41 bb) instead of movabs (49 bb): still a trampoline.
for opt in -O0 -O2; do
  "$cc" $opt -fno-pie -no-pie -o "$WORK/nested-nopie$opt" "$WORK/nested.c" 2>/dev/null ||
    fail "could not build the non-PIE nested-function program"
  expect_code 0 "$SEALEXEC" check --json "$WORK/nested-nopie$opt"
  grep -q '"intent":"trampolines"' "$WORK/out" || fail "non-PIE ($opt) trampolines missed: $(cat "$WORK/out")"
  expect_code 3 "$SEALEXEC" fix --clear-execstack --dry-run "$WORK/nested-nopie$opt"
done

for opt in -O0 -O2; do
  prog=$WORK/nested$opt
  "$cc" $opt -o "$prog" "$WORK/nested.c" 2>/dev/null || fail "$cc $opt could not build the nested-function program"
  LC_ALL=C readelf -lW "$prog" | grep -q 'GNU_STACK.* RWE ' || fail "gcc did not mark $prog's stack RWE"
  expect_code 0 "$prog"
  expect_eq "$(cat "$WORK/out")" 42 "the nested-function program ($opt)"

  # check: the warning, and a remedy that does not send the user to fix.
  expect_code 0 "$SEALEXEC" check "$prog"
  expect_file_contains "$WORK/out" "  warning: needs its executable stack on purpose: its code writes GCC nested-function trampolines onto the stack"
  expect_file_contains "$WORK/out" "  remedy: keep its executable stack"
  ! grep -q "run sealexec fix" "$WORK/out" || fail "check sends a trampoline program to fix"
  expect_code 0 "$SEALEXEC" check --deps --json "$prog"
  python3 - "$WORK/out" <<'PY' || fail "JSON of the nested-function program ($opt): $(cat "$WORK/out")"
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
st = f["stack"]
assert st["intent"] == "trampolines" and st["fix"] == "force", st
assert isinstance(st["trampoline_offset"], int) and st["trampoline_offset"] > 0, st
assert any("trampolines" in w for w in f["warnings"]), f["warnings"]
c = f["closure"]["culprits"]
assert len(c) == 1 and c[0]["object"] == 0 and c[0]["intent"] == "trampolines", c
assert "trampolines" in c[0]["warning"] and "keep its executable stack" in c[0]["remedy"], c
PY

  # fix refuses, with and without --dry-run, and leaves the file alone.
  cp "$prog" "$WORK/orig"
  for mode in "" --dry-run; do
    expect_code 3 "$SEALEXEC" fix --clear-execstack $mode "$prog"
    expect_error_line "sealexec: $prog: refused: " "GCC nested-function trampolines"
    expect_file_contains "$WORK/err" "--force"
    cmp "$prog" "$WORK/orig" || fail "a refused fix changed $prog"
  done

  # --force clears it, with a warning, and the program then crashes.
  expect_code 0 "$SEALEXEC" fix --clear-execstack --force "$prog"
  expect_eq "$(cat "$WORK/out")" "$prog: clear PF_X on 1 PT_GNU_STACK header" "fix --force's report"
  expect_lines "$WORK/err" 1
  expect_file_contains "$WORK/err" "sealexec: warning: $prog: cleared under --force although its code writes GCC nested-function trampolines"
  LC_ALL=C readelf -lW "$prog" | grep -q 'GNU_STACK.* RW  ' || fail "fix --force left $prog's stack executable"
  set +e
  "$prog" >/dev/null 2>&1
  code=$?
  set -e
  expect_eq "$code" 139 "exit status of the trampoline program without an executable stack ($opt)"
done

# The same in a shared library, found as a closure root (dlopen).
"$cc" -O2 -shared -fPIC -o "$WORK/libnested.so" -x c - 2>/dev/null <<'C' || fail "could not build the library"
static int apply(int (*f)(int), int v) { return f(v); }
int nested_answer(int base) {
  int add(int x) { return x + base; }
  return apply(add, 1);
}
C
expect_code 0 "$SEALEXEC" check --deps --json "$WORK/libnested.so"
python3 - "$WORK/out" <<'PY' || fail "JSON of the nested-function library: $(cat "$WORK/out")"
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
assert f["type"] == "lib" and f["stack"]["intent"] == "trampolines", f["stack"]
c = f["closure"]["culprits"]
assert len(c) == 1 and c[0]["intent"] == "trampolines" and len(c[0]["glibc_2_41"]) == 9, c
PY
expect_code 3 "$SEALEXEC" fix --clear-execstack "$WORK/libnested.so"

# -z execstack without trampolines: only the weaker sign, and fix proceeds.
"$cc" -Wl,-z,execstack -o "$WORK/plain" "$WORK/plain.c" || fail "could not build the plain program"
expect_code 0 "$SEALEXEC" check --json "$WORK/plain"
python3 - "$WORK/out" <<'PY' || fail "JSON of the plain execstack program: $(cat "$WORK/out")"
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
assert f["stack"]["intent"] == "pf_x" and f["stack"]["fix"] == "fix", f["stack"]
assert f["stack"]["trampoline_offset"] is None, f["stack"]
assert any("explicitly (PF_X)" in w for w in f["warnings"]), f["warnings"]
assert not any("trampolines onto" in w for w in f["warnings"]), f["warnings"]
PY
expect_code 0 "$SEALEXEC" check "$WORK/plain"
expect_file_contains "$WORK/out" "  warning: PT_GNU_STACK asks for an executable stack explicitly (PF_X)"
expect_file_contains "$WORK/out" "  remedy: run sealexec fix --clear-execstack $WORK/plain,"
expect_code 0 "$SEALEXEC" fix --clear-execstack "$WORK/plain"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: warning: $WORK/plain: PT_GNU_STACK asks for an executable stack explicitly (PF_X)"
expect_code 0 "$WORK/plain"
