#!/bin/sh
# sealexec script: a header that would now be found earlier on the include
# path invalidates the cached binary. The script includes "shadow.h", found
# in inc1 although -I inc0 comes first (inc0 exists but lacks it); creating
# inc0/shadow.h must recompile and use the new header, though no file the
# first compile read has changed.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler cc-count cc

mkdir "$WORK/src" "$WORK/inc0" "$WORK/inc1"
cat >"$WORK/src/shadow.c" <<'SRC'
#include <stdio.h>
#include "shadow.h"
int main(void) {
  puts(WHICH);
  return 0;
}
SRC
printf '#define WHICH "from inc1"\n' >"$WORK/inc1/shadow.h"
backdate "$WORK/src/shadow.c" "$WORK/inc1/shadow.h"
flags="-I $WORK/inc0 -I $WORK/inc1"

run() {
  expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" --flags "$flags" "$WORK/src/shadow.c"
}

run
expect_out "from inc1" "first run"
expect_compiled "first run"
expect_eq "$(compiles cc-count)" 1 "compiles after the first run"

n=$(calls cc-count)
run
expect_out "from inc1" "second run"
expect_not_compiled "second run"
expect_eq "$(calls cc-count)" "$n" "compiler runs after the second run"

# The shadowing header appears in the earlier directory.
printf '#define WHICH "from inc0"\n' >"$WORK/inc0/shadow.h"
backdate "$WORK/inc0/shadow.h" "$WORK/inc0"
run
expect_out "from inc0" "run after inc0/shadow.h appeared"
expect_compiled "run after inc0/shadow.h appeared"
expect_file_contains "$WORK/err" "would now be included instead"
expect_eq "$(compiles cc-count)" 2 "compiles after inc0/shadow.h appeared"

n=$(calls cc-count)
run
expect_out "from inc0" "run after the recompile"
expect_not_compiled "run after the recompile"
expect_eq "$(calls cc-count)" "$n" "compiler runs after the recompile"

# And it goes away again: inc1's header is the one to use once more.
rm "$WORK/inc0/shadow.h"
backdate "$WORK/inc0"
run
expect_out "from inc1" "run after inc0/shadow.h was removed"
n=$(calls cc-count)
run
expect_out "from inc1" "second run after inc0/shadow.h was removed"
expect_not_compiled "second run after inc0/shadow.h was removed"
expect_eq "$(calls cc-count)" "$n" "compiler runs on the second run after inc0/shadow.h was removed"

# The same with relative -I flags in the file: the compiler runs in the
# script's directory, so "-I a" means <script dir>/a, whatever the caller's
# cwd, and a header appearing there must be noticed too. First with the cwd
# the script's directory, then (a second script) from another cwd.
for where in same other; do
  d=$WORK/rel-$where
  mkdir "$d" "$d/a" "$d/b"
  cat >"$d/rel.c" <<'SRC'
// sealexec: -I a -I b
#include <stdio.h>
#include <rel.h>
int main(void) {
  puts(WHICH);
  return 0;
}
SRC
  printf '#define WHICH "from b"\n' >"$d/b/rel.h"
  backdate "$d/rel.c" "$d/b/rel.h" "$d/a"
  if [ "$where" = same ]; then cd "$d"; else cd "$WORK"; fi
  expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$d/rel.c"
  expect_out "from b" "first run of rel.c (-I a -I b in the file, cwd: $where directory)"
  expect_compiled "first run of rel.c (cwd: $where directory)"
  printf '#define WHICH "from a"\n' >"$d/a/rel.h"
  backdate "$d/a/rel.h" "$d/a"
  expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$d/rel.c"
  if ! grep -qF 'compiling with' "$WORK/err" || [ "$(cat "$WORK/out")" != "from a" ]; then
    echo "--- stdout:" >&2; cat "$WORK/out" >&2
    echo "--- stderr:" >&2; cat "$WORK/err" >&2
    fail "stale binary: $d/a/rel.h now shadows $d/b/rel.h (flags '-I a -I b' from the file's '// sealexec:' line, run with cwd $PWD), but the run did not recompile and printed '$(cat "$WORK/out")' instead of 'from a'"
  fi
done
