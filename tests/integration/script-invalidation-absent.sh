#!/bin/sh
# sealexec script: a name the compile looked for and did not find is an
# input too. Creating it later must recompile, though no file the first
# compile read has changed:
# - a file tested with __has_include (in the script, and in a header);
# - a header next to the header that includes it ("inner.h", found next
#   to the script, would now be found next to inc/outer.h first).
# Each is created with an old mtime (as mv, cp -p, tar, rsync -a leave it).
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler cc-count cc

mkdir "$WORK/src" "$WORK/src/inc" "$WORK/sys"
cat >"$WORK/src/absent.c" <<'SRC'
#include <stdio.h>
#if __has_include("extra.h")
#include "extra.h"
#else
#define EXTRA "no extra"
#endif
#include "inc/outer.h"
#include <sysfeature.h>
int main(void) {
  printf("%s / %s / %s\n", EXTRA, INNER, FEATURE);
  return 0;
}
SRC
printf '#include "inner.h"\n' >"$WORK/src/inc/outer.h"
printf '#define INNER "inner next to the script"\n' >"$WORK/src/inner.h"
cat >"$WORK/sys/sysfeature.h" <<'SRC'
#if __has_include(<optional/feature.h>)
#include <optional/feature.h>
#else
#define FEATURE "no feature"
#endif
SRC
backdate "$WORK/src/absent.c" "$WORK/src/inc/outer.h" "$WORK/src/inner.h" \
  "$WORK/sys/sysfeature.h" "$WORK/src/inc" "$WORK/src" "$WORK/sys"

run() {
  expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" --flags "-isystem $WORK/sys" \
    "$WORK/src/absent.c"
}

run
expect_out "no extra / inner next to the script / no feature" "first run"
expect_compiled "first run"
n=$(calls cc-count)
run
expect_not_compiled "second run"
expect_eq "$(calls cc-count)" "$n" "compiler runs after the second run"

appears() { # FILE CONTENT WHAT EXPECTED
  mkdir -p "$(dirname "$1")"
  printf '%s\n' "$2" >"$1.new"
  backdate "$1.new"
  mv "$1.new" "$1"
  backdate "$(dirname "$1")"
  run
  if [ "$(cat "$WORK/out")" != "$4" ]; then
    echo "--- stderr:" >&2; cat "$WORK/err" >&2
    fail "stale binary: $3 appeared, yet the run printed '$(cat "$WORK/out")', not '$4'"
  fi
  expect_compiled "run after $3 appeared"
  n=$(calls cc-count)
  run
  expect_not_compiled "second run after $3 appeared"
  expect_eq "$(calls cc-count)" "$n" "compiler runs on the second run after $3 appeared"
}

appears "$WORK/src/extra.h" '#define EXTRA "extra"' \
  "extra.h (tested with __has_include in the script)" \
  "extra / inner next to the script / no feature"
appears "$WORK/src/inc/inner.h" '#define INNER "inner next to outer.h"' \
  "inc/inner.h (next to the header that includes \"inner.h\")" \
  "extra / inner next to outer.h / no feature"
appears "$WORK/sys/optional/feature.h" '#define FEATURE "feature"' \
  "optional/feature.h (tested with __has_include(<...>) in a system header)" \
  "extra / inner next to outer.h / feature"

# The script's own directory is searched for "name" before the quote
# directories its flags add (-iquote q): a header appearing next to the
# script must win over q's, also for a header that includes it.
mkdir "$WORK/iq" "$WORK/iq/q" "$WORK/iq/inc"
cat >"$WORK/iq/s.c" <<'SRC'
// sealexec: -iquote q -I inc
#include <stdio.h>
#include <outer.h>
int main(void) {
  puts(WHICH);
  return 0;
}
SRC
printf '#include "x.h"\n' >"$WORK/iq/inc/outer.h"
printf '#define WHICH "from q"\n' >"$WORK/iq/q/x.h"
backdate "$WORK/iq/s.c" "$WORK/iq/inc/outer.h" "$WORK/iq/q/x.h" "$WORK/iq"
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/iq/s.c"
expect_out "from q" "first run of a script with -iquote q"
printf '#define WHICH "next to the script"\n' >"$WORK/iq/x.h.new"
backdate "$WORK/iq/x.h.new"
mv "$WORK/iq/x.h.new" "$WORK/iq/x.h"
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/iq/s.c"
[ "$(cat "$WORK/out")" = "next to the script" ] ||
  fail "stale binary: x.h appeared next to the script (searched before -iquote q), yet the run printed '$(cat "$WORK/out")'"
