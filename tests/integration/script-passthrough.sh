#!/bin/sh
# sealexec script: the compiled program stands in for sealexec. Its exit
# status passes through (0, 3, 255), death by SIGTERM stays death by SIGTERM,
# standard input reaches it, its arguments arrive intact (spaces, empty ones,
# ones that look like sealexec's options) and argv[0] is the script's path as
# given. Each holds on the compiling run and on cached runs.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
require_command cc

mkdir "$WORK/dir"
cat >"$WORK/dir/pass.c" <<'SRC'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "exit") == 0) {
    printf("exiting %s\n", argv[2]);
    return atoi(argv[2]);
  }
  if (argc > 1 && strcmp(argv[1], "term") == 0) {
    puts("dying");
    fflush(stdout);
    raise(SIGTERM);
    puts("survived");
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "cat") == 0) {
    int c;
    while ((c = getchar()) != EOF) putchar(c);
    return 0;
  }
  for (int i = 0; i < argc; i++) printf("[%s]\n", argv[i]);
  return 0;
}
SRC
backdate "$WORK/dir/pass.c"
S=$WORK/dir/pass.c

# Like expect_code, but the shell's "Terminated" notice stays out of $WORK/err.
expect_death() {
  want=$1
  shift
  { (exec "$@" >"$WORK/out" 2>"$WORK/err") && got=0 || got=$?; } 2>/dev/null
  [ "$got" -eq "$want" ] || {
    echo "--- stdout:" >&2; cat "$WORK/out" >&2
    echo "--- stderr:" >&2; cat "$WORK/err" >&2
    fail "expected exit code $want, got $got from: $*"
  }
}

# The first run compiles (its status passes through too), then cached runs.
for round in compiling cached; do
  for code in 3 0 255; do
    expect_code "$code" "$SEALEXEC" script "$S" exit "$code"
    expect_out "exiting $code" "$round run exiting $code"
    [ ! -s "$WORK/err" ] || fail "$round run exiting $code: unexpected stderr: $(cat "$WORK/err")"
  done
done
expect_code 0 "$SEALEXEC" script -v "$S" exit 0
expect_not_compiled "run after the first"
expect_code 3 "$SEALEXEC" "$S" exit 3
expect_out "exiting 3" "sealexec FILE exiting 3"

# Death by SIGTERM: the shell sees 128+15; the parent sees a signal death.
expect_death 143 "$SEALEXEC" script "$S" term
expect_out "dying" "run killed by SIGTERM"
expect_death 143 "$SEALEXEC" "$S" term
if command -v python3 >/dev/null 2>&1; then
  r=$(python3 -c 'import subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(r.returncode)' "$SEALEXEC" script "$S" term)
  expect_eq "$r" -15 "returncode (python's subprocess) of the run killed by SIGTERM"
else
  echo "NOTE: no python3; the signal death is checked through the shell's 143 only" >&2
fi

# Standard input, including a NUL byte and no final newline.
printf 'line one\nline two\0after nul' >"$WORK/in"
set +e
"$SEALEXEC" script "$S" cat <"$WORK/in" >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_eq "$rc" 0 "exit code of the stdin copy"
cmp -s "$WORK/in" "$WORK/out" || fail "stdin did not reach the program intact: $(od -c "$WORK/out" | head -5)"
expect_eq "$(printf 'piped\n' | "$SEALEXEC" "$S" cat)" "piped" "stdin through a pipe"

# Arguments: spaces, empty ones, glob and quote characters, sealexec's options.
expect_code 0 "$SEALEXEC" script "$S" "a b" "" "  lead" "*" "it's" "" -v --flags --rebuild -- x
printf '[%s]\n' "$S" "a b" "" "  lead" "*" "it's" "" -v --flags --rebuild -- x >"$WORK/want"
cmp -s "$WORK/out" "$WORK/want" || { diff "$WORK/want" "$WORK/out" >&2 || true; fail "arguments were not passed intact"; }
expect_code 0 "$SEALEXEC" script -- "$S" "" "a b"
printf '[%s]\n' "$S" "" "a b" >"$WORK/want"
cmp -s "$WORK/out" "$WORK/want" || { diff "$WORK/want" "$WORK/out" >&2 || true; fail "arguments after 'script -- FILE' were not passed intact"; }

# argv[0] is the path as given: relative from the script's directory and
# from its parent, with "./", and absolute.
cd "$WORK/dir"
expect_code 0 "$SEALEXEC" script pass.c one
printf '[pass.c]\n[one]\n' >"$WORK/want"
cmp -s "$WORK/out" "$WORK/want" || fail "argv of 'sealexec script pass.c one': $(cat "$WORK/out")"
expect_code 0 "$SEALEXEC" ./pass.c
expect_out "[./pass.c]" "argv of 'sealexec ./pass.c'"
cd "$WORK"
expect_code 0 "$SEALEXEC" dir/pass.c
expect_out "[dir/pass.c]" "argv of 'sealexec dir/pass.c'"
expect_code 0 "$SEALEXEC" script "$S"
expect_out "[$S]" "argv of 'sealexec script <absolute path>'"
expect_eq "$(script_entries)" 1 "script: entries (one script, however it was named)"
