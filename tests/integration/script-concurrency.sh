#!/bin/sh
# sealexec script: eight concurrent first runs of a new script compile it
# exactly once (the others wait for that compile and use its binary); every
# run prints the right output and exits 0. The compiler is a wrapper that
# counts its runs and sleeps 0.5 s first, to keep the window wide open.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler cc-slow cc 0.5

cat >"$WORK/conc.c" <<'SRC'
#include <stdio.h>
int main(int argc, char **argv) {
  printf("job %s of %d args\n", argc > 1 ? argv[1] : "?", argc - 1);
  return 0;
}
SRC
backdate "$WORK/conc.c"

# All jobs wait for $WORK/go, then start sealexec together.
jobs=8
i=1
while [ "$i" -le "$jobs" ]; do
  (
    while [ ! -e "$WORK/go" ]; do sleep 0.01; done
    set +e
    "$SEALEXEC" script -v --compiler "$WORK/cc-slow" "$WORK/conc.c" "$i" >"$WORK/out.$i" 2>"$WORK/err.$i"
    echo $? >"$WORK/rc.$i"
  ) &
  i=$((i + 1))
done
sleep 0.3
: >"$WORK/go"
wait

i=1
compiled=0
while [ "$i" -le "$jobs" ]; do
  [ -f "$WORK/rc.$i" ] || fail "job $i left no exit status"
  rc=$(cat "$WORK/rc.$i")
  [ "$rc" -eq 0 ] || { cat "$WORK/out.$i" "$WORK/err.$i" >&2; fail "job $i exited with $rc"; }
  expect_eq "$(cat "$WORK/out.$i")" "job $i of 1 args" "stdout of job $i"
  if grep -qF 'compiling with' "$WORK/err.$i"; then compiled=$((compiled + 1)); fi
  i=$((i + 1))
done

if [ "$(compiles cc-slow)" -ne 1 ]; then
  echo "--- compiler runs:" >&2; cat "$WORK/cc-slow.count" >&2
  i=1; while [ "$i" -le "$jobs" ]; do echo "--- stderr of job $i:" >&2; cat "$WORK/err.$i" >&2; i=$((i + 1)); done
  fail "$(compiles cc-slow) compiles for $jobs concurrent first runs, expected exactly 1"
fi
expect_eq "$compiled" 1 "runs that said 'compiling with'"
expect_eq "$(script_entries)" 1 "script: entries after the concurrent runs"

# And now all of them are hits.
n=$(calls cc-slow)
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-slow" "$WORK/conc.c" again
expect_out "job again of 1 args" "run after the concurrent runs"
expect_not_compiled "run after the concurrent runs"
expect_eq "$(calls cc-slow)" "$n" "compiler runs after the concurrent runs"
