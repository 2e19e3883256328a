#!/bin/sh
# A toolchain that writes no PT_GNU_STACK at all: tcc. Its shared object has
# neither a PT_GNU_STACK nor a PT_NULL slot, so ld.so's x86_64 default (RWX)
# applies: check reports EXECSTACK "ld.so" and why; fix cannot patch it and
# says to relink with -z noexecstack, leaving the file as it was; the same
# source linked by gcc with -Wl,-z,noexecstack is clean. A tcc program shows
# the two views apart: the kernel maps its main stack non-executable, while
# glibc, lacking the header, gives its threads executable stacks.
. "$TEST_LIB"
require_command tcc
require_command readelf
require_command python3
unset LD_LIBRARY_PATH
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done

printf 'int answer(void) { return 42; }\n' >"$WORK/answer.c"
tcc -shared -o "$WORK/libtcc-answer.so" "$WORK/answer.c" || fail "tcc -shared failed"
lib=$WORK/libtcc-answer.so
cp "$lib" "$WORK/orig.so"

# The precondition: no GNU_STACK and no NULL program header.
LC_ALL=C readelf -lW "$lib" >"$WORK/phdrs"
expect_file_contains "$WORK/phdrs" "LOAD"
! grep -Eq '^ +(GNU_STACK|NULL) ' "$WORK/phdrs" || fail "tcc wrote GNU_STACK or NULL: $(cat "$WORK/phdrs")"

expect_code 0 "$SEALEXEC" check "$lib"
grep -q "^lib  *ld\.so  .* $lib\$" "$WORK/out" || { cat "$WORK/out" >&2; fail "the row is not 'lib ld.so'"; }
expect_file_contains "$WORK/out" "  executable stack: no PT_GNU_STACK"
# The remedy is what fix really does: it cannot change this file, so only
# the relink is named (and why fix cannot).
expect_file_contains "$WORK/out" "  remedy: relink $lib with -Wl,-z,noexecstack"
expect_file_contains "$WORK/out" "'sealexec fix' cannot change it: it has no PT_GNU_STACK header and no unused PT_NULL program header"
! grep -q "run sealexec fix" "$WORK/out" || fail "check offers a fix that fix refuses: $(cat "$WORK/out")"
expect_code 1 "$SEALEXEC" check --fail-on execstack "$lib"
expect_code 0 "$SEALEXEC" check --json "$lib"
python3 - "$WORK/out" <<'PY' || fail "JSON stack of the tcc library: $(cat "$WORK/out")"
import json, sys
s = json.load(open(sys.argv[1]))["files"][0]
st = s["stack"]
assert st["gnu_stack_headers"] == 0 and st["gnu_stack_flags"] is None, st
assert st["ldso_executable"] is True and st["kernel_executable"] is None, st
assert "no PT_GNU_STACK" in st["reason"], st
assert s["type"] == "lib" and "execstack" in s["findings"], s
assert st["fix"] == "relink" and st["intent"] == "none", st
PY
# As a closure root (what dlopen loads) it is a culprit, with the relink.
expect_code 0 "$SEALEXEC" check --deps --json "$lib"
python3 - "$WORK/out" <<'PY' || fail "JSON culprit of the tcc library: $(cat "$WORK/out")"
import json, sys
c = json.load(open(sys.argv[1]))["files"][0]["closure"]["culprits"]
assert len(c) == 1 and c[0]["object"] == 0 and c[0]["execstack"], c
assert "sealexec fix --clear" not in c[0]["remedy"] and "-Wl,-z,noexecstack" in c[0]["remedy"], c
assert [x["loaded"] for x in c[0]["glibc_2_41"]] == ["dlopen"] * 9, c
PY

# fix refuses, with and without --dry-run and -o, and changes nothing.
before=$(ls -A "$WORK")
for mode in "" --dry-run "-o $WORK/fixed.so"; do
  # shellcheck disable=SC2086 # $mode is zero, one or two words
  expect_code 2 "$SEALEXEC" fix --clear-execstack $mode "$lib"
  expect_error_line "sealexec: $lib: " "has no PT_GNU_STACK header and no unused PT_NULL slot"
  expect_file_contains "$WORK/err" "-Wl,-z,noexecstack"
  cmp "$lib" "$WORK/orig.so" || fail "fix $mode changed the unfixable file"
done
[ ! -e "$WORK/fixed.so" ] || fail "fix -o wrote an output for an unfixable file"
expect_eq "$(ls -A "$WORK")" "$before" "the files in the directory after the refused fixes"

# The same source, relinked by gcc with -z noexecstack: clean.
if [ -n "$cc" ]; then
  "$cc" -shared -fPIC -Wl,-z,noexecstack -o "$WORK/libgcc-answer.so" "$WORK/answer.c" \
    || fail "gcc link failed"
  expect_code 0 "$SEALEXEC" check --fail-on execstack "$WORK/libgcc-answer.so"
  grep -q "^lib  *no  .* $WORK/libgcc-answer.so\$" "$WORK/out" || { cat "$WORK/out" >&2; fail "gcc's relink is not clean"; }
else
  echo "note: no gcc; the relink half is not tested" >&2
fi

# A tcc program: the kernel's view (main stack) and ld.so's (thread stacks).
cat >"$WORK/threads.c" <<'C'
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
tcc -o "$WORK/threads" "$WORK/threads.c" -lpthread || fail "tcc could not build the thread probe"
! LC_ALL=C readelf -lW "$WORK/threads" | grep -q GNU_STACK || fail "tcc's program has a GNU_STACK"
expect_code 0 "$SEALEXEC" check --json "$WORK/threads"
python3 - "$WORK/out" <<'PY' || fail "JSON stack of the tcc program: $(cat "$WORK/out")"
import json, sys
st = json.load(open(sys.argv[1]))["files"][0]["stack"]
assert st["kernel_executable"] is False and st["ldso_executable"] is True, st
PY
expect_code 0 "$SEALEXEC" check "$WORK/threads"
grep -q "^exec  *ld\.so  .* $WORK/threads\$" "$WORK/out" || { cat "$WORK/out" >&2; fail "the tcc program's row is not 'exec ld.so'"; }
expect_code 0 "$WORK/threads"
printf 'main stack not executable\nthread stack executable\n' >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "the tcc program printed: $(cat "$WORK/out")"
# The program is its own culprit for --deps: ld.so's view (rwx thread
# stacks; glibc 2.41's execstack=0 refuses it at start-up), not only the
# kernel's, and fix cannot add the header, so the remedy is the relink.
expect_code 1 "$SEALEXEC" check --deps --fail-on execstack "$WORK/threads"
expect_file_contains "$WORK/out" "culprit: $WORK/threads gets executable thread stacks from ld.so (no PT_GNU_STACK"
expect_file_contains "$WORK/out" "glibc 2.41, glibc.rtld.execstack=0: start-up fails with exit 127: \"Fatal glibc error: executable stack is not allowed\""
expect_file_contains "$WORK/out" "remedy: relink $WORK/threads with -Wl,-z,noexecstack"
expect_code 0 "$SEALEXEC" check --deps --json "$WORK/threads"
python3 - "$WORK/out" <<'PY' || fail "JSON culprit of the tcc program: $(cat "$WORK/out")"
import json, sys
c = json.load(open(sys.argv[1]))["files"][0]["closure"]["culprits"]
assert len(c) == 1 and c[0]["object"] == 0 and c[0]["execstack"], c
assert c[0]["glibc_2_41"] == [
    {"loaded": "startup", "program_stack": None, "tunable": 0, "outcome": "refused", "stack": None},
    {"loaded": "startup", "program_stack": None, "tunable": 1, "outcome": "allowed", "stack": "not-executable"},
    {"loaded": "startup", "program_stack": None, "tunable": 2, "outcome": "allowed", "stack": "executable"},
], c[0]["glibc_2_41"]
PY
