#!/bin/sh
# sealexec script: a "..." header next to the script is found relative to the
# script's directory, whatever the caller's cwd (a decoy header of the same
# name in the cwd must not be used). Changing the header's content recompiles;
# touching it without changing it does not (a counting compiler wrapper shows
# that the compiler never started), now or on later runs. A header edited
# just before a run is cached by that run (only a change during the compile
# is not).
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler cc-count cc

mkdir "$WORK/src" "$WORK/elsewhere"
cat >"$WORK/src/hdr.c" <<'SRC'
#include <stdio.h>
#include "local.h"
int main(void) {
  printf("value %d\n", VALUE);
  return 0;
}
SRC
printf '#define VALUE 1\n' >"$WORK/src/local.h"
# The decoy: were "local.h" looked up in the caller's cwd, this would win.
printf '#define VALUE 666\n' >"$WORK/elsewhere/local.h"
backdate "$WORK/src/hdr.c" "$WORK/src/local.h" "$WORK/elsewhere/local.h"

run() { # WHAT: runs the script from $WORK/elsewhere with -v
  (cd "$WORK/elsewhere" && exec "$SEALEXEC" script -v --compiler "$WORK/cc-count" ../src/hdr.c) \
    >"$WORK/out" 2>"$WORK/err" && rc=0 || rc=$?
  [ "$rc" -eq 0 ] || { cat "$WORK/out" "$WORK/err" >&2; fail "$1: exit code $rc"; }
}

run "first run"
expect_out "value 1" "first run (from another cwd)"
expect_compiled "first run"
expect_eq "$(compiles cc-count)" 1 "compiles after the first run"
expect_file_contains "$WORK/err" "cached: "

n=$(calls cc-count)
run "second run"
expect_out "value 1" "second run"
expect_not_compiled "second run"
expect_eq "$(calls cc-count)" "$n" "compiler runs after the second run"

# A new content (same size, back-dated as sealexec requires): recompiled.
printf '#define VALUE 2\n' >"$WORK/src/local.h"
backdate "$WORK/src/local.h"
run "run after the header changed"
expect_out "value 2" "run after the header changed"
expect_compiled "run after the header changed"
expect_file_contains "$WORK/err" "recompiling: "
expect_file_contains "$WORK/err" "local.h changed"
expect_eq "$(compiles cc-count)" 2 "compiles after the header changed"

n=$(calls cc-count)
run "run after the recompile"
expect_out "value 2" "run after the recompile"
expect_not_compiled "run after the recompile"
expect_eq "$(calls cc-count)" "$n" "compiler runs after the recompile"

# Touched, not changed: a new mtime but the same bytes.
touch "$WORK/src/local.h"
sleep 0.05
run "run after touching the header"
expect_out "value 2" "run after touching the header"
expect_not_compiled "run after touching the header"
expect_eq "$(calls cc-count)" "$n" "compiler runs after touching the header"
run "second run after touching the header"
expect_out "value 2" "second run after touching the header"
expect_not_compiled "second run after touching the header"
expect_eq "$(calls cc-count)" "$n" "compiler runs on the second run after touching the header"

# Changing the decoy in the cwd changes nothing either.
printf '#define VALUE 777\n' >"$WORK/elsewhere/local.h"
backdate "$WORK/elsewhere/local.h"
run "run after changing the decoy"
expect_out "value 2" "run after changing the decoy header in the cwd"
expect_eq "$(calls cc-count)" "$n" "compiler runs after changing the decoy header in the cwd"

# A header dated in the future (an archive made where the clock runs fast)
# is cached like any other: only ctime shows when a file changed, and mtime
# can say anything (script-header-swap.sh has headers that really change
# during the compile).
printf '#define VALUE 3\n' >"$WORK/src/local.h"
touch -d '+1 min' "$WORK/src/local.h"
run "run with a header from the future"
expect_out "value 3" "run with a header from the future"
expect_compiled "run with a header from the future"
expect_file_contains "$WORK/err" "cached: "
n=$(calls cc-count)
run "second run with a header from the future"
expect_out "value 3" "second run with a header from the future"
expect_not_compiled "second run with a header from the future"
expect_eq "$(calls cc-count)" "$n" "compiler runs with a header from the future"
