#!/bin/sh
# sealexec script: the flags (the file's '// sealexec:' lines and --flags)
# and the compiler are part of the key. Each change gives a new "script:"
# entry in `sealexec cache ls` and the output the new build must print;
# going back to an earlier combination finds its binary without compiling.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler gcc-count gcc

write_script() { # GREETING
  cat >"$WORK/flags.c" <<SRC
// sealexec: -DGREETING=$1
#include <stdio.h>
int main(void) {
  printf("greeting %d", GREETING);
#ifdef EXTRA
  printf(" extra %d", EXTRA);
#endif
#if defined(__clang__)
  printf(" clang");
#elif defined(__GNUC__)
  printf(" gcc");
#endif
  printf("\\n");
  return 0;
}
SRC
  backdate "$WORK/flags.c"
}

entries() { # N WHAT
  got=$(script_entries)
  [ "$got" -eq "$1" ] || { cat "$WORK/ls" >&2; fail "$2: $got script: entries in cache ls, expected $1"; }
}

# 1. The file's own flags.
write_script 1
expect_code 0 env CC="$WORK/gcc-count" "$SEALEXEC" script -v "$WORK/flags.c"
expect_out "greeting 1 gcc" "first run"
expect_compiled "first run"
entries 1 "after the first run"
grep -E ' script: ' "$WORK/ls" | grep -qF "script: $(cd "$WORK" && pwd -P)/flags.c" \
  || { cat "$WORK/ls" >&2; fail "cache ls does not describe the entry as 'script: <absolute path>'"; }

write_script 2
expect_code 0 env CC="$WORK/gcc-count" "$SEALEXEC" script -v "$WORK/flags.c"
expect_out "greeting 2 gcc" "run with '// sealexec: -DGREETING=2'"
expect_compiled "run with '// sealexec: -DGREETING=2'"
entries 2 "after changing the file's flags"

write_script 1
n=$(calls gcc-count)
expect_code 0 env CC="$WORK/gcc-count" "$SEALEXEC" script -v "$WORK/flags.c"
expect_out "greeting 1 gcc" "run with '// sealexec: -DGREETING=1' again"
expect_not_compiled "run with the first flags again"
expect_eq "$(calls gcc-count)" "$n" "compiler runs when going back to the first flags"
entries 2 "after going back to the first flags"

# 2. --flags on the command line.
expect_code 0 env CC="$WORK/gcc-count" "$SEALEXEC" script -v --flags "-DEXTRA=5" "$WORK/flags.c"
expect_out "greeting 1 extra 5 gcc" "run with --flags -DEXTRA=5"
expect_compiled "run with --flags -DEXTRA=5"
entries 3 "after --flags -DEXTRA=5"
expect_code 0 env CC="$WORK/gcc-count" "$SEALEXEC" script -v --flags "-DEXTRA=6" "$WORK/flags.c"
expect_out "greeting 1 extra 6 gcc" "run with --flags -DEXTRA=6"
expect_compiled "run with --flags -DEXTRA=6"
entries 4 "after --flags -DEXTRA=6"
n=$(calls gcc-count)
expect_code 0 env CC="$WORK/gcc-count" "$SEALEXEC" script -v --flags "-DEXTRA=5" "$WORK/flags.c"
expect_out "greeting 1 extra 5 gcc" "run with --flags -DEXTRA=5 again"
expect_not_compiled "run with --flags -DEXTRA=5 again"
expect_eq "$(calls gcc-count)" "$n" "compiler runs with --flags -DEXTRA=5 again"
# The command line's flags come after the file's: the last -D wins.
expect_code 0 env CC="$WORK/gcc-count" "$SEALEXEC" script -v --flags "-UGREETING -DGREETING=9" "$WORK/flags.c"
expect_out "greeting 9 gcc" "run with --flags overriding the file's -DGREETING"
entries 5 "after --flags -UGREETING -DGREETING=9"

# 3. Another compiler. With clang-19 the output shows which compiled it;
# without it, a second wrapper around gcc (a different file) must still be
# a different compiler to sealexec.
if command -v clang-19 >/dev/null 2>&1; then
  counting_compiler other-count clang-19
  other_out="greeting 1 clang"
else
  echo "NOTE: no clang-19; a second gcc wrapper stands in for the other compiler" >&2
  counting_compiler other-count gcc
  echo '# the second wrapper' >>"$WORK/other-count"
  backdate "$WORK/other-count"
  other_out="greeting 1 gcc"
fi
n=$(calls gcc-count)
expect_code 0 env CC="$WORK/other-count" "$SEALEXEC" script -v "$WORK/flags.c"
expect_out "$other_out" "run with CC=the other compiler"
expect_compiled "run with CC=the other compiler"
expect_eq "$(compiles other-count)" 1 "compiles by the other compiler"
expect_eq "$(calls gcc-count)" "$n" "gcc wrapper runs while CC named the other compiler"
entries 6 "after switching compilers"

# Back to the first compiler: its binary is still there.
n=$(calls gcc-count)
m=$(calls other-count)
expect_code 0 env CC="$WORK/gcc-count" "$SEALEXEC" script -v "$WORK/flags.c"
expect_out "greeting 1 gcc" "run with CC=gcc again"
expect_not_compiled "run with CC=gcc again"
expect_eq "$(calls gcc-count)$(calls other-count)" "$n$m" "compiler runs with CC=gcc again"
# --compiler beats $CC.
expect_code 0 env CC="$WORK/gcc-count" "$SEALEXEC" script -v --compiler "$WORK/other-count" "$WORK/flags.c"
expect_out "$other_out" "run with --compiler the other compiler and CC=gcc"
expect_not_compiled "run with --compiler the other compiler (cached)"
expect_eq "$(calls gcc-count)$(calls other-count)" "$n$m" "compiler runs with --compiler the other compiler"
entries 6 "at the end"

# $CXX is not the compiler of a .c file.
expect_code 0 env CC="$WORK/gcc-count" CXX=/nonexistent/c++ "$SEALEXEC" script "$WORK/flags.c"
expect_out "greeting 1 gcc" "run with a bogus CXX"

# A C++ script: its compiler is $CXX, never $CC.
counting_compiler cxx-count c++
cat >"$WORK/flags.cpp" <<'SRC'
// sealexec: -DWHO=\"C++\"
#include <iostream>
int main() {
  std::cout << "hello from " << WHO << " " << __cplusplus / 100 << "\n";
  return 0;
}
SRC
backdate "$WORK/flags.cpp"
c=$(calls gcc-count)
expect_code 0 env CC="$WORK/gcc-count" CXX="$WORK/cxx-count" "$SEALEXEC" script -v "$WORK/flags.cpp"
grep -q '^hello from C++ [0-9][0-9]*$' "$WORK/out" || { cat "$WORK/out" "$WORK/err" >&2; fail "the C++ script printed something else"; }
expect_eq "$(compiles cxx-count)" 1 "compiles by \$CXX for the .cpp script"
expect_eq "$(calls gcc-count)" "$c" "runs of \$CC for the .cpp script"
expect_code 0 env CC="$WORK/gcc-count" CXX="$WORK/cxx-count" "$SEALEXEC" script -v --flags -std=c++17 "$WORK/flags.cpp"
expect_out "hello from C++ 2017" "the C++ script with --flags -std=c++17"
expect_eq "$(compiles cxx-count)" 2 "compiles by \$CXX after --flags -std=c++17"
expect_eq "$(script_entries)" 8 "script: entries with the C++ script's two"
