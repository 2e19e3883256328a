#!/bin/sh
# sealexec script: a script that names a second source file in its flags
# ('// sealexec: helper.c', relative to the script's directory) is two
# translation units, and what both read is recorded: editing a header only
# the script includes, one only helper.c includes, or helper.c itself,
# each recompiles, and the next run is a hit again. With gcc and clang, C
# and C++.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"

# scenario COMPILER EXT: compiles $WORK/COMPILER/main.EXT with
# "// sealexec: helper.EXT" by --compiler COMPILER.
scenario() {
  compiler=$1
  ext=$2
  dir=$WORK/$compiler
  mkdir -p "$dir"
  cat >"$dir/main.$ext" <<SRC
// sealexec: helper.$ext
#include <stdio.h>
#include "main.h"
#ifdef __cplusplus
extern "C"
#endif
int helper(void);
int main(void) { printf("main %d helper %d\\n", MAIN, helper()); return 0; }
SRC
  cat >"$dir/helper.$ext" <<SRC
#include "helper.h"
#ifdef __cplusplus
extern "C"
#endif
int helper(void) { return HELPER; }
SRC
  printf '#define MAIN 1\n' >"$dir/main.h"
  printf '#define HELPER 1\n' >"$dir/helper.h"

  run() { # WANT WHAT: runs main.EXT from elsewhere with -v; stdout must be WANT
    (cd "$WORK" && exec "$SEALEXEC" script -v --compiler "$compiler" "$dir/main.$ext") \
      >"$WORK/out" 2>"$WORK/err" && rc=0 || rc=$?
    [ "$rc" -eq 0 ] || { cat "$WORK/out" "$WORK/err" >&2; fail "$compiler: $2: exit code $rc"; }
    expect_out "$1" "$compiler: $2"
  }

  run "main 1 helper 1" "first run"
  expect_compiled "$compiler: first run"
  expect_file_contains "$WORK/err" "cached: "
  run "main 1 helper 1" "second run"
  expect_not_compiled "$compiler: second run"

  printf '#define MAIN 2\n' >"$dir/main.h"
  run "main 2 helper 1" "run after editing the script's own header"
  expect_compiled "$compiler: run after editing main.h"
  expect_file_contains "$WORK/err" "main.h changed"
  run "main 2 helper 1" "run after that"
  expect_not_compiled "$compiler: run after recompiling for main.h"

  printf '#define HELPER 2\n' >"$dir/helper.h"
  run "main 2 helper 2" "run after editing helper's header"
  expect_compiled "$compiler: run after editing helper.h"
  expect_file_contains "$WORK/err" "helper.h changed"
  run "main 2 helper 2" "run after that"
  expect_not_compiled "$compiler: run after recompiling for helper.h"

  sed 's/return HELPER;/return HELPER + 40;/' "$dir/helper.$ext" >"$dir/helper.new"
  mv "$dir/helper.new" "$dir/helper.$ext"
  run "main 2 helper 42" "run after editing helper itself"
  expect_compiled "$compiler: run after editing helper.$ext"
  run "main 2 helper 42" "run after that"
  expect_not_compiled "$compiler: run after recompiling for helper.$ext"
}

command -v gcc-12 >/dev/null 2>&1 || skip "needs gcc-12 and g++-12"
scenario gcc-12 c
scenario g++-12 cpp
command -v clang-19 >/dev/null 2>&1 || skip "gcc passed; needs clang-19 and clang++-19 too"
scenario clang-19 c
scenario clang++-19 cpp
