#!/bin/sh
# Two PT_GNU_STACK headers: the kernel and ld.so both use the last one, and
# so does check (finding duplicate-gnu-stack). Proven on a program that
# prints whether its main and thread stacks are executable, with a spare
# PT_NOTE turned into a first PT_GNU_STACK: RWE then RW runs non-executable,
# RW then RWE runs executable, and check says the same each time. fix clears
# PF_X on every PT_GNU_STACK.
. "$TEST_LIB"
require_command python3
require_command readelf
unset LD_LIBRARY_PATH
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler"

cat >"$WORK/stacks.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <string.h>
static void perms(const char* who, const void* p) {
  char line[512], prot[5] = "?";
  unsigned long a = (unsigned long)p, lo, hi;
  int found = 0;
  FILE* maps = fopen("/proc/self/maps", "r");
  while (maps && !found && fgets(line, sizeof line, maps))
    found = sscanf(line, "%lx-%lx %4s", &lo, &hi, prot) == 3 && lo <= a && a < hi;
  if (maps) fclose(maps);
  printf("%s stack %s\n", who, !found ? "unknown" : strchr(prot, 'x') ? "executable" : "not executable");
}
static void* thread(void* arg) { int local = 0; perms("thread", &local); return arg; }
int main(void) {
  int local = 0;
  pthread_t t;
  perms("main", &local);
  if (pthread_create(&t, 0, thread, 0) != 0) return 1;
  return pthread_join(t, 0);
}
C
"$cc" -Wl,-z,noexecstack -o "$WORK/stacks" "$WORK/stacks.c" -lpthread 2>/dev/null || fail "cannot build the probe"

# make_two FIRST LAST OUT: a copy whose first PT_NOTE becomes a PT_GNU_STACK
# with flags FIRST (before the real one), and whose real one gets LAST.
make_two() {
  python3 - "$WORK/stacks" "$3" "$1" "$2" <<'PY' || fail "the PT_GNU_STACK patcher failed"
import struct, sys
PT_NOTE, PT_GNU_STACK = 4, 0x6474E551
src, dst, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = bytearray(open(src, "rb").read())
assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "ELF64 LE only"
phoff, = struct.unpack_from("<Q", data, 0x20)
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
types = [struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)]
stack = types.index(PT_GNU_STACK)
notes = [i for i, t in enumerate(types) if t == PT_NOTE and i < stack]
assert len(notes) >= 2 and types.count(PT_GNU_STACK) == 1, types  # one spare note
# p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align
struct.pack_into("<IIQQQQQQ", data, phoff + notes[0] * phentsize, PT_GNU_STACK, first, 0, 0, 0, 0, 0, 16)
struct.pack_into("<I", data, phoff + stack * phentsize + 4, last)
open(dst, "wb").write(data)
PY
  chmod +x "$3"
}
make_two 7 6 "$WORK/rwe-then-rw"
make_two 6 7 "$WORK/rw-then-rwe"
[ "$(LC_ALL=C readelf -lW "$WORK/rwe-then-rw" | grep -c GNU_STACK)" -eq 2 ] || fail "no two GNU_STACK headers"

# RWE then RW: not executable, for the kernel (main) and ld.so (threads).
expect_code 0 "$WORK/rwe-then-rw"
printf 'main stack not executable\nthread stack not executable\n' >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "RWE then RW ran with: $(cat "$WORK/out")"
expect_code 0 "$SEALEXEC" check --fail-on execstack "$WORK/rwe-then-rw"
grep -q "^pie  *no  .* $WORK/rwe-then-rw\$" "$WORK/out" || { cat "$WORK/out" >&2; fail "RWE then RW: not EXECSTACK no"; }
expect_code 1 "$SEALEXEC" check --fail-on duplicate-gnu-stack "$WORK/rwe-then-rw"
expect_code 0 "$SEALEXEC" check --json "$WORK/rwe-then-rw"
python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
st = f["stack"]
assert st["gnu_stack_headers"] == 2 and st["gnu_stack_flags"] == 6, st
assert st["kernel_executable"] is False and st["ldso_executable"] is False, st
assert "duplicate-gnu-stack" in f["findings"] and "execstack" not in f["findings"], f["findings"]
' "$WORK/out" || fail "JSON for RWE then RW: $(cat "$WORK/out")"

# RW then RWE: executable.
expect_code 0 "$WORK/rw-then-rwe"
printf 'main stack executable\nthread stack executable\n' >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "RW then RWE ran with: $(cat "$WORK/out")"
expect_code 1 "$SEALEXEC" check --fail-on execstack "$WORK/rw-then-rwe"
grep -q "^pie  *kernel+ld\.so  .* $WORK/rw-then-rwe\$" "$WORK/out" || { cat "$WORK/out" >&2; fail "RW then RWE: not kernel+ld.so"; }

# fix: no PF_X left on either header; the program then runs non-executable.
expect_code 0 "$SEALEXEC" fix --clear-execstack "$WORK/rw-then-rwe"
expect_code 0 "$SEALEXEC" fix --clear-execstack "$WORK/rwe-then-rw"
for f in rw-then-rwe rwe-then-rw; do
  ! LC_ALL=C readelf -lW "$WORK/$f" | grep -q 'GNU_STACK.* RWE ' || fail "$f keeps an RWE GNU_STACK after fix"
  expect_code 0 "$WORK/$f"
  printf 'main stack not executable\nthread stack not executable\n' >"$WORK/expected"
  cmp "$WORK/out" "$WORK/expected" || fail "$f after fix ran with: $(cat "$WORK/out")"
done
