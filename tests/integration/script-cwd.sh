#!/bin/sh
# sealexec script: the compiler runs in the script's directory, but the
# program runs in the caller's: a relative path opens the caller's file, on
# the compiling run and on the cached one.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
require_command cc

mkdir "$WORK/src" "$WORK/caller"
cat >"$WORK/src/readdata.c" <<'SRC'
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char cwd[4096], line[256];
  if (!getcwd(cwd, sizeof cwd)) return 2;
  printf("cwd %s\n", cwd);
  FILE *f = fopen("data.txt", "r");
  if (!f) { puts("no data.txt"); return 1; }
  while (fgets(line, sizeof line, f)) fputs(line, stdout);
  fclose(f);
  return 0;
}
SRC
backdate "$WORK/src/readdata.c"
printf 'the caller'"'"'s data\n' >"$WORK/caller/data.txt"
[ ! -e "$WORK/src/data.txt" ] || fail "setup: the script's directory has a data.txt"
caller=$(cd "$WORK/caller" && pwd -P)

cd "$WORK/caller"
for round in compiling cached; do
  expect_code 0 "$SEALEXEC" script -v ../src/readdata.c
  printf "cwd %s\nthe caller's data\n" "$caller" >"$WORK/want"
  cmp -s "$WORK/out" "$WORK/want" || { cat "$WORK/err" >&2; diff "$WORK/want" "$WORK/out" >&2 || true; fail "$round run did not read the caller's data.txt"; }
  if [ "$round" = compiling ]; then expect_compiled "$round run"; else expect_not_compiled "$round run"; fi
done
[ ! -e "$WORK/src/data.txt" ] || fail "a data.txt appeared in the script's directory"

# From the script's own directory, which has no data.txt: the program says so.
cd "$WORK/src"
expect_code 1 "$SEALEXEC" script readdata.c
printf "cwd %s\nno data.txt\n" "$(pwd -P)" >"$WORK/want"
cmp -s "$WORK/out" "$WORK/want" || fail "run from the script's directory printed: $(cat "$WORK/out")"
