#!/bin/sh
# $ORIGIN keeps working, and nothing sealexec adds for it reaches the
# program's children: a program that bundles its own lib/libz.so.1 (here, one
# that is not zlib at all) starts `file`, which must load the system's zlib,
# as it does when the program runs directly. The children's environment is
# the caller's, byte for byte and in the same order, also with the caller's
# own LD_LIBRARY_PATH and LD_PRELOAD.
. "$TEST_LIB"
require_command cc
require_command file
unset LD_LIBRARY_PATH LD_PRELOAD

cp -R "$EXAMPLES/origin-app" "$WORK/app"
printf 'int not_zlib(void) { return 0; }\n' >"$WORK/stub.c"
cc -shared -fPIC -Wl,-soname,libz.so.1 -o "$WORK/app/lib/libz.so.1" "$WORK/stub.c" \
  || skip "cannot build a stub library"
ldd /usr/bin/file | grep -q 'libz\.so\.1' || skip "/usr/bin/file does not use zlib here"
greet=$WORK/app/bin/greet
expected='hello from a library found through $ORIGIN'

# Control: directly, the child finds the system's zlib.
expect_code 0 "$greet" file --version
direct_version=$(cat "$WORK/out")

expect_code 0 "$SEALEXEC" run "$greet" file --version
expect_eq "$(cat "$WORK/out")" "$direct_version" "greet's child, file --version"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

# The children's environment, exactly.
"$greet" env >"$WORK/direct-env"
expect_code 0 "$SEALEXEC" run "$greet" env
expect_eq "$(cat "$WORK/out")" "$(cat "$WORK/direct-env")" "the child's environment"
head -n1 "$WORK/out" | grep -qxF "$expected" || fail "greet did not find its library"

env LD_LIBRARY_PATH=/nonexistent/mine LD_PRELOAD= "$greet" env >"$WORK/direct-env"
expect_code 0 env LD_LIBRARY_PATH=/nonexistent/mine LD_PRELOAD= "$SEALEXEC" run "$greet" env
expect_eq "$(cat "$WORK/out")" "$(cat "$WORK/direct-env")" \
  "the child's environment with the caller's own LD_LIBRARY_PATH and LD_PRELOAD"
expect_file_contains "$WORK/out" "LD_LIBRARY_PATH=/nonexistent/mine"

# The program itself, before its children: ld.so used sealexec's path, and
# the variables are back by the time main runs.
cat >"$WORK/show.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
const char* greeting(void);
int main(void) {
  const char* path = getenv("LD_LIBRARY_PATH");
  const char* preload = getenv("LD_PRELOAD");
  printf("%s|%s|%s\n", greeting(), path ? path : "unset", preload ? preload : "unset");
  return 0;
}
C
cc -o "$WORK/app/bin/show" "$WORK/show.c" -L"$WORK/app/lib" -lgreeting \
  -Wl,-rpath,'$ORIGIN/../lib' -Wl,--enable-new-dtags || skip "cannot build a test program"
expect_code 0 "$SEALEXEC" run "$WORK/app/bin/show"
expect_eq "$(cat "$WORK/out")" "$expected|unset|unset" "what the program's main sees"
