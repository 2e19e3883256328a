#!/bin/sh
# sealexec script: gcc-12 and clang-19, C and C++, compile a script as
# cleanly as they compile the same file directly. With every warning turned
# into an error (-Werror -Wall -Wextra -pedantic; -Weverything for clang),
# a clean file compiles through sealexec exactly when it compiles directly,
# and sealexec's compile prints nothing: for a named file, an extensionless
# one, and one with a --source helper.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"

mkdir "$WORK/s"
cd "$WORK/s"
cat >prog.c <<'SRC'
#include <stdio.h>
#include "helper.h"
int main(void) {
  printf("%d\n", twice(21));
  return 0;
}
SRC
cat >helper.h <<'SRC'
#ifndef HELPER_H
#define HELPER_H
int twice(int x);
#endif
SRC
cat >helper.c <<'SRC'
#include "helper.h"
int twice(int x) { return 2 * x; }
SRC
cat >prog.cpp <<'SRC'
#include <cstdio>
#include <vector>
int main() {
  const std::vector<int> values{20, 22};
  int sum = 0;
  for (const int v : values) {
    sum += v;
  }
  std::printf("%d\n", sum);
  return 0;
}
SRC

tested=0
check_pair() { # DRIVER LANG SOURCE STRICT-FLAGS
  driver=$1 lang=$2 source=$3 strict=$4
  command -v "$driver" >/dev/null 2>&1 || { echo "SKIPPED: $driver is not installed" >&2; return 0; }
  helper=""
  [ "$lang" = c ] && helper=helper.c
  # shellcheck disable=SC2086
  "$driver" $strict -o "$WORK/direct" "$source" $helper 2>"$WORK/direct.err" \
    || { cat "$WORK/direct.err" >&2; fail "$driver $strict $source: the direct compile fails"; }
  [ ! -s "$WORK/direct.err" ] || fail "$driver $strict $source: the direct compile says something"

  # Named by its extension, the helper on the command line.
  rm -rf "$WORK/cache"
  # shellcheck disable=SC2086
  expect_code 0 "$SEALEXEC" script --compiler "$driver" --warnings --flags "$strict" \
    ${helper:+--source "$helper"} "$source"
  expect_out 42 "$driver: $source"
  [ ! -s "$WORK/err" ] || { cat "$WORK/err" >&2; fail "$driver: compiling $source through sealexec printed diagnostics"; }

  # Extensionless, with #!, its language and helper in the file.
  {
    echo '#!/usr/bin/env sealexec'
    echo "// sealexec: --lang $lang $strict ${helper:+--source $helper}"
    cat "$source"
  } >tool
  rm -rf "$WORK/cache"
  expect_code 0 "$SEALEXEC" --compiler "$driver" --warnings tool
  expect_out 42 "$driver: extensionless tool"
  [ ! -s "$WORK/err" ] || { cat "$WORK/err" >&2; fail "$driver: compiling the extensionless tool printed diagnostics"; }
  tested=$((tested + 1))
}

strict_gnu="-Werror -Wall -Wextra -pedantic"
strict_clang="-Werror -Wall -Wextra -pedantic -Weverything -Wno-poison-system-directories"
check_pair gcc-12 c prog.c "$strict_gnu"
check_pair g++-12 c++ prog.cpp "$strict_gnu"
check_pair clang-19 c prog.c "$strict_clang -Wno-declaration-after-statement"
check_pair clang++-19 c++ prog.cpp "$strict_clang -Wno-c++98-compat"
[ "$tested" -gt 0 ] || skip "none of gcc-12, g++-12, clang-19, clang++-19 is installed"
[ "$tested" -eq 4 ] || fail "only $tested of the 4 compilers were tested (see SKIPPED above)"
echo "gcc-12 and clang-19, C and C++: clean under -Werror"
