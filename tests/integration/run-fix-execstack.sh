#!/bin/sh
# run --fix-execstack clears the executable-stack request in the sealed copy
# of the program: a program linked with -z execstack runs with an executable
# stack from disk, and with a non-executable one (main thread and threads)
# under sealexec, while the file on disk is unchanged; strict then accepts
# it. The limit, documented: a library that requires an executable stack is
# loaded by ld.so from disk, so --fix-execstack does not help there.
. "$TEST_LIB"
require_command readelf
unset LD_LIBRARY_PATH
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler"

cat >"$WORK/stacks.c" <<'C'
/* Prints whether the main thread's and a second thread's stacks are
 * executable, from /proc/self/maps. */
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
prog=$WORK/stacks
"$cc" -Wl,-z,execstack -o "$prog" "$WORK/stacks.c" -lpthread 2>/dev/null || fail "cannot build the probe"
LC_ALL=C readelf -lW "$prog" | grep -q 'GNU_STACK.* RWE ' || fail "the probe's stack is not RWE"
cp "$prog" "$WORK/stacks.orig"
printf 'main stack executable\nthread stack executable\n' >"$WORK/exec.expected"
printf 'main stack not executable\nthread stack not executable\n' >"$WORK/noexec.expected"

# From disk, and through sealexec without the option: executable.
expect_code 0 "$prog"
cmp "$WORK/out" "$WORK/exec.expected" || fail "run directly: $(cat "$WORK/out")"
expect_code 0 "$SEALEXEC" run --policy=off "$prog"
cmp "$WORK/out" "$WORK/exec.expected" || fail "run by sealexec: $(cat "$WORK/out")"
expect_code 0 "$SEALEXEC" run "$prog"
expect_file_contains "$WORK/err" "sealexec: warning: $prog: "
expect_file_contains "$WORK/err" "gets an executable stack"
expect_code 126 "$SEALEXEC" run --policy=strict "$prog"
expect_error_line "sealexec: $prog: refused by --policy=strict: " "gets an executable stack"

# --fix-execstack: not executable, no warning, strict accepts it.
expect_code 0 "$SEALEXEC" run --fix-execstack "$prog"
cmp "$WORK/out" "$WORK/noexec.expected" || fail "run --fix-execstack: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
expect_code 0 "$SEALEXEC" run --policy=strict --fix-execstack "$prog"
cmp "$WORK/out" "$WORK/noexec.expected" || fail "strict --fix-execstack: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr under strict: $(cat "$WORK/err")"
expect_code 0 "$SEALEXEC" run -v --fix-execstack "$prog"
expect_file_contains "$WORK/err" "cleared the executable-stack request in the sealed copy"
# From standard input too.
expect_code 0 sh -c 'exec "$1" run --fix-execstack - <"$2"' sh "$SEALEXEC" "$prog"
cmp "$WORK/out" "$WORK/noexec.expected" || fail "run --fix-execstack - : $(cat "$WORK/out")"

# The file on disk is untouched, and still executable-stack when run from disk.
cmp "$prog" "$WORK/stacks.orig" || fail "--fix-execstack changed the file on disk"
expect_code 0 "$prog"
cmp "$WORK/out" "$WORK/exec.expected" || fail "run directly afterwards: $(cat "$WORK/out")"

# A clean program is run as it is.
printf 'hello from sealed memory\narg 1: x\n' >"$WORK/hello.expected"
expect_code 0 "$SEALEXEC" run --fix-execstack "$EXAMPLES/hello" x
cmp "$WORK/out" "$WORK/hello.expected" || fail "hello with --fix-execstack: $(cat "$WORK/out")"

# The limit: the culprit is a library, which ld.so maps from disk.
cp -r "$EXAMPLES/execstack-app" "$WORK/app"
cp "$WORK/app/libculprit.so" "$WORK/libculprit.orig"
expect_code 0 "$SEALEXEC" run --policy=off --fix-execstack "$WORK/app/uses-culprit"
expect_eq "$(cat "$WORK/out")" "culprit_answer() = 7, stack executable" "--fix-execstack with a culprit library"
expect_code 126 "$SEALEXEC" run --policy=strict --fix-execstack "$WORK/app/uses-culprit"
expect_error_line "sealexec: $WORK/app/uses-culprit: refused by --policy=strict: " "libculprit.so =>"
cmp "$WORK/app/libculprit.so" "$WORK/libculprit.orig" || fail "--fix-execstack changed the library on disk"
