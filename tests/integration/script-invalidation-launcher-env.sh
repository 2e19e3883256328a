#!/bin/sh
# sealexec script: what really compiles is in the key.
# - A launcher (CC="launch mycc", as with ccache or distcc) is identified
#   with the compiler it launches: replacing mycc must recompile, though the
#   launcher is the same file.
# - clang's CCC_OVERRIDE_OPTIONS edits its command line: a run with it set
#   must not get the binary built without it.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
real_cc=$(command -v cc) || skip "needs the compiler cc"

mkdir "$WORK/bin" "$WORK/src"
printf '#!/bin/sh\nexec "$@"\n' >"$WORK/launch"
chmod 755 "$WORK/launch"
cat >"$WORK/src/which.c" <<'SRC'
#include <stdio.h>
#ifndef WHICH
#define WHICH "plain"
#endif
int main(void) {
#ifdef FROM_ENV
  puts("from the environment");
#else
  puts(WHICH);
#endif
  return 0;
}
SRC
backdate "$WORK/src/which.c" "$WORK/launch"

compiler() { # VERSION: mycc, a compiler that defines WHICH as VERSION
  printf '#!/bin/sh\nexec "%s" '"'"'-DWHICH="%s"'"'"' "$@"\n' "$real_cc" "$1" >"$WORK/bin/mycc.new"
  chmod 755 "$WORK/bin/mycc.new"
  backdate "$WORK/bin/mycc.new"
  mv "$WORK/bin/mycc.new" "$WORK/bin/mycc"
}

run() {
  expect_code 0 env PATH="$WORK/bin:$PATH" CC="$WORK/launch mycc" \
    "$SEALEXEC" script -v "$WORK/src/which.c"
}

compiler "mycc 1"
run
expect_out "mycc 1" "first run through the launcher"
expect_compiled "first run through the launcher"
run
expect_out "mycc 1" "second run through the launcher"
expect_not_compiled "second run through the launcher"

compiler "mycc version 2"
run
if [ "$(cat "$WORK/out")" != "mycc version 2" ]; then
  echo "--- stderr:" >&2; cat "$WORK/err" >&2
  fail "stale binary: the compiler behind the launcher (CC='launch mycc') was replaced, yet the run printed '$(cat "$WORK/out")'"
fi
expect_compiled "run after mycc was replaced"

# The linker the compiler runs is the ld in PATH: another PATH, another ld.
printf '#!/bin/sh\nexec /usr/bin/ld --defsym=marker=main "$@"\n' >"$WORK/bin/ld"
chmod 755 "$WORK/bin/ld"
cat >"$WORK/src/linker.c" <<'SRC'
#include <stdio.h>
extern const char marker[] __attribute__((weak));
int main(void) {
  puts(marker ? "another ld" : "plain ld");
  return 0;
}
SRC
backdate "$WORK/src/linker.c" "$WORK/bin/ld"
if [ -x /usr/bin/ld ]; then
  expect_code 0 "$SEALEXEC" script "$WORK/src/linker.c"
  expect_out "plain ld" "run with the usual PATH"
  expect_code 0 env PATH="$WORK/bin:$PATH" "$SEALEXEC" script "$WORK/src/linker.c"
  [ "$(cat "$WORK/out")" = "another ld" ] ||
    fail "stale binary: PATH now leads to another ld, yet the run printed '$(cat "$WORK/out")'"
fi

# env PATH=... cc: cc is the one in env's PATH, not in sealexec's.
mkdir "$WORK/envpath"
ln -s "$WORK/bin/mycc" "$WORK/envpath/cc"
envpath_run() {
  expect_code 0 env CC="env PATH=$WORK/envpath:/usr/bin:/bin cc" "$SEALEXEC" script -v \
    "$WORK/src/which.c"
}
envpath_run
expect_out "mycc version 2" "CC='env PATH=... cc'"
compiler "mycc version 3"
envpath_run
[ "$(cat "$WORK/out")" = "mycc version 3" ] ||
  fail "stale binary: the cc in env's PATH (CC='env PATH=... cc') was replaced, yet the run printed '$(cat "$WORK/out")'"

clang=$(command -v clang-19 || command -v clang) || skip "needs clang for CCC_OVERRIDE_OPTIONS (the launcher part passed)"
clang_run() {
  expect_code 0 "$SEALEXEC" script -v --compiler "$clang" "$WORK/src/which.c"
}
clang_run
expect_out "plain" "clang without CCC_OVERRIDE_OPTIONS"
CCC_OVERRIDE_OPTIONS='+-DFROM_ENV'
export CCC_OVERRIDE_OPTIONS
clang_run
if [ "$(cat "$WORK/out")" != "from the environment" ]; then
  fail "stale binary: CCC_OVERRIDE_OPTIONS='+-DFROM_ENV' adds a flag to every clang command, yet the run printed '$(cat "$WORK/out")'"
fi
expect_compiled "run with CCC_OVERRIDE_OPTIONS set"
