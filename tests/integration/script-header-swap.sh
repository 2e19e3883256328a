#!/bin/sh
# sealexec script: a header replaced during the compile, by a file whose
# mtime is older than the compile (mv, cp -p, tar, rsync -a and touch -d all
# leave such an mtime), never gets the binary built from the old header
# cached under the new header's hash. The run that compiled prints the old
# text, uncached, and -v says so; every later run prints the new text. The
# same holds when what changes is a name on the header's path: a symbolic
# link re-pointed (ln -sfn) or a directory renamed into place.
#
# The compiler is a wrapper that runs gcc and then, before sealexec reads
# back what gcc read, runs $WORK/swap.sh once (when it exists).
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
real=$(command -v cc) || skip "needs the compiler cc"
cat >"$WORK/cc-swap" <<EOF
#!/bin/sh
"$real" "\$@" || exit \$?
case " \$* " in
  *" -o "*) if [ -f "$WORK/swap.sh" ]; then sh "$WORK/swap.sh" >&2; rm -f "$WORK/swap.sh"; fi ;;
esac
EOF
chmod 755 "$WORK/cc-swap"
touch -d '-1 min' "$WORK/cc-swap"

# variant NAME SWAP-COMMANDS: a script of its own that includes "inc/h.h"
# (through -I "$WORK/NAME"), compiled while h.h says "old", with
# SWAP-COMMANDS run in $WORK/NAME right after the compile; the replacement,
# staged beforehand in $WORK/NAME/staged/h.h (and .../v2/inc/h.h), says
# "new" and has an mtime an hour old.
variant() {
  name=$1
  dir=$WORK/$name
  mkdir -p "$dir/v1/inc" "$dir/v2/inc" "$dir/staged"
  printf '#define TEXT "old"\n' >"$dir/v1/inc/h.h"
  printf '#define TEXT "new"\n' >"$dir/v2/inc/h.h"
  printf '#define TEXT "new"\n' >"$dir/staged/h.h"
  touch -d '-1 hour' "$dir/v2/inc/h.h" "$dir/staged/h.h"
  ln -s v1 "$dir/current"
  cat >"$dir/$name.c" <<SRC
// sealexec: -I current
#include <stdio.h>
#include "inc/h.h"
int main(void) { printf("%s $name\\n", TEXT); return 0; }
SRC
  printf 'cd "%s"\n%s\n' "$dir" "$2" >"$WORK/swap.sh"

  expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-swap" "$dir/$name.c"
  [ ! -f "$WORK/swap.sh" ] || fail "$name: the compiler wrapper did not swap"
  expect_out "old $name" "$name: the run that compiled (from the old header)"
  expect_compiled "$name: first run"
  cp "$WORK/err" "$WORK/err.first"

  # What matters most first: the old header's binary is not what runs now.
  expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-swap" "$dir/$name.c"
  expect_out "new $name" "$name: the run after the swap"
  expect_compiled "$name: the run after the swap"
  expect_file_contains "$WORK/err" "cached: "

  expect_file_contains "$WORK/err.first" "not cached: "
  expect_file_contains "$WORK/err.first" "this build runs once, uncached"
  expect_file_contains "$WORK/err.first" "$3"

  expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-swap" "$dir/$name.c"
  expect_out "new $name" "$name: the third run"
  expect_not_compiled "$name: the third run"
}

variant mv 'mv staged/h.h v1/inc/h.h' "was changed while the script was being compiled"
variant cp-p 'cp -p staged/h.h v1/inc/h.h' "was changed while the script was being compiled"
variant touch-d 'cat staged/h.h >v1/inc/h.h && touch -d "-1 hour" v1/inc/h.h' \
  "was changed while the script was being compiled"
variant ln-sfn 'ln -sfn v2 current' "(a symbolic link) was replaced"
variant mv-dir 'mv v1/inc v1/inc.old && mv v2/inc v1/inc' "(a directory) was moved or changed"
