#!/bin/sh
# sealexec script: an executable C file whose first line is
# '#!/usr/bin/env sealexec' runs as ./FILE when sealexec is on PATH, from its
# own directory and from another one by a relative path; both name the same
# script, so the second finds the first's binary without compiling.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler cc-count cc
[ -x /usr/bin/env ] || skip "needs /usr/bin/env"
PATH=$(dirname "$SEALEXEC"):$PATH
export PATH
CC=$WORK/cc-count
export CC

mkdir "$WORK/dir" "$WORK/other"
cat >"$WORK/dir/hello.c" <<'SRC'
#!/usr/bin/env sealexec
// sealexec: -DGREETING="\"hello from C\""
#include <stdio.h>
int main(int argc, char **argv) {
  printf("%s, line %d\n", GREETING, __LINE__);
  for (int i = 0; i < argc; i++) printf("[%s]\n", argv[i]);
  return argc > 2 ? 7 : 0;
}
SRC
chmod +x "$WORK/dir/hello.c"
backdate "$WORK/dir/hello.c"

cd "$WORK/dir"
expect_code 0 ./hello.c arg
printf 'hello from C, line 5\n[./hello.c]\n[arg]\n' >"$WORK/want"
cmp -s "$WORK/out" "$WORK/want" || { cat "$WORK/err" >&2; diff "$WORK/want" "$WORK/out" >&2 || true; fail "./hello.c arg printed something else"; }
[ ! -s "$WORK/err" ] || fail "unexpected stderr from ./hello.c: $(cat "$WORK/err")"
expect_eq "$(compiles cc-count)" 1 "compiles after ./hello.c"

n=$(calls cc-count)
cd "$WORK/other"
expect_code 0 ../dir/hello.c "a b"
printf 'hello from C, line 5\n[../dir/hello.c]\n[a b]\n' >"$WORK/want"
cmp -s "$WORK/out" "$WORK/want" || { cat "$WORK/err" >&2; diff "$WORK/want" "$WORK/out" >&2 || true; fail "../dir/hello.c 'a b' printed something else"; }
expect_eq "$(calls cc-count)" "$n" "compiler runs for ../dir/hello.c after ./hello.c"

# The program's status passes through the #! line too.
expect_code 7 ../dir/hello.c x y
expect_eq "$(calls cc-count)" "$n" "compiler runs after the third run"

# Without sealexec on PATH, env cannot find it: env's own 127.
cd "$WORK/dir"
expect_code 127 env PATH=/nonexistent-bin ./hello.c
[ ! -s "$WORK/out" ] || fail "./hello.c ran without sealexec on PATH"
