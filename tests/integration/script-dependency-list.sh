#!/bin/sh
# sealexec script: what the compiler read comes from its dependency list,
# which every translation unit writes on the compiler's standard output.
# When that list cannot be trusted to be whole, the script runs but its
# binary is not cached, and -v says why:
#   - the compiler printed something else on its standard output (here a
#     wrapper's own line); that text is passed on to standard error, where
#     the compiler's messages go, never to the program's standard output;
#   - a flag changes the list or sends it elsewhere (-MMD leaves system
#     headers out).
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
real=$(command -v cc) || skip "needs the compiler cc"
printf '#!/bin/sh\necho "a word from the compiler"\nexec "%s" "$@"\n' "$real" >"$WORK/cc-talk"
chmod 755 "$WORK/cc-talk"
touch -d '-1 min' "$WORK/cc-talk"

cat >"$WORK/deps.c" <<'SRC'
#include <stdio.h>
int main(void) { puts("program output"); return 0; }
SRC

for what in "first" "second"; do
  expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-talk" "$WORK/deps.c"
  expect_out "program output" "$what run with a talking compiler"
  expect_compiled "$what run with a talking compiler"
  expect_file_contains "$WORK/err" "a word from the compiler"
  expect_file_contains "$WORK/err" "not cached: the compiler's standard output: is not just its dependency list"
done

for what in "first" "second"; do
  expect_code 0 "$SEALEXEC" script -v --flags -MMD "$WORK/deps.c"
  expect_out "program output" "$what run with -MMD"
  expect_compiled "$what run with -MMD"
  expect_file_contains "$WORK/err" "not cached: -MMD: may change or hide the compiler's dependency list"
done

# The same script without them is cached as usual.
expect_code 0 "$SEALEXEC" script -v "$WORK/deps.c"
expect_file_contains "$WORK/err" "cached: "
expect_code 0 "$SEALEXEC" script -v "$WORK/deps.c"
expect_out "program output" "run without them"
expect_not_compiled "run without them"
