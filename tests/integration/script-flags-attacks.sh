#!/bin/sh
# sealexec script: flags that once made a cached binary stale or lost a
# file (found in an attack on the C/C++ scripts issue).
#  1. clang -Werror with a linker flag: the include search list is still
#     learned, so a header appearing in an earlier -I directory recompiles;
#  2. pkg-config's own flags are checked like the script's: an @FILE there
#     makes the build uncached (its content is no input sealexec can see);
#  3. CPATH is part of pkg-config's cached answer (pkgconf leaves out the
#     -I directories it names);
#  4. -o in the flags is refused, and the file it names is untouched.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
require_command pkg-config
mkdir "$WORK/s" "$WORK/s/inc8" "$WORK/s/inc9" "$WORK/pc"
cd "$WORK/s"

if command -v clang-19 >/dev/null 2>&1; then
  echo '#define FOO_VAL 1' >inc9/foo.h
  cat >shadow <<'SRC'
#!/usr/bin/env sealexec
// sealexec: --lang c -Werror -I inc8 -I inc9 -lm
#include <stdio.h>
#include <foo.h>
int main(void) { printf("FOO=%d\n", FOO_VAL); return 0; }
SRC
  backdate shadow inc9/foo.h
  expect_code 0 "$SEALEXEC" --compiler clang-19 shadow
  expect_out "FOO=1" "clang -Werror -lm, first run"
  echo '#define FOO_VAL 88' >inc8/foo.h
  expect_code 0 "$SEALEXEC" --compiler clang-19 shadow
  expect_out "FOO=88" "clang -Werror -lm, after a header appeared in an earlier -I directory"
else
  echo "SKIPPED PART: clang-19 is not installed" >&2
fi

echo -DVAL=1 >"$WORK/flags.rsp"
printf 'Name: r\nDescription: r\nVersion: 1\nCflags: @%s/flags.rsp\n' "$WORK" >"$WORK/pc/rsp.pc"
printf '#!/usr/bin/env sealexec\n// sealexec: --lang c --pkg rsp\n#include <stdio.h>\nint main(void) { printf("%%d\\n", VAL); return 0; }\n' >rsp
PKG_CONFIG_PATH=$WORK/pc
export PKG_CONFIG_PATH
expect_code 0 "$SEALEXEC" -v rsp
expect_out 1 "an @FILE from pkg-config"
expect_file_contains "$WORK/err" "not cached"
echo -DVAL=2 >"$WORK/flags.rsp"
expect_code 0 "$SEALEXEC" rsp
expect_out 2 "an @FILE from pkg-config, changed"

mkdir "$WORK/inc1" "$WORK/inc2"
echo '#define FOO_VAL 1' >"$WORK/inc1/foo.h"
echo '#define FOO_VAL 2' >"$WORK/inc2/foo.h"
printf 'Name: bar\nDescription: b\nVersion: 1\nCflags: -I%s/inc1 -I%s/inc2\n' "$WORK" "$WORK" >"$WORK/pc/bar.pc"
printf '#!/usr/bin/env sealexec\n// sealexec: --lang c --pkg bar\n#include <stdio.h>\n#include <foo.h>\nint main(void) { printf("FOO=%%d\\n", FOO_VAL); return 0; }\n' >bar
# pkgconf leaves -I inc1 out when CPATH names it, and CPATH comes after -I:
# inc2 wins, as it does for the same command typed by hand.
expect_code 0 env CPATH="$WORK/inc1" "$SEALEXEC" bar
expect_out "FOO=2" "CPATH=inc1"
expect_code 0 "$SEALEXEC" bar
expect_out "FOO=1" "without CPATH (pkg-config must be asked again: its answer depends on CPATH)"

echo precious >"$WORK/victim"
expect_code 126 "$SEALEXEC" --flags "-o $WORK/victim" bar
expect_file_contains "$WORK/err" "'-o'"
[ "$(cat "$WORK/victim")" = precious ] || fail "the file named by -o was changed"
printf '#!/usr/bin/env sealexec\n// sealexec: -o%s/victim\nint main() {}\n' "$WORK" >oflag
expect_code 126 "$SEALEXEC" oflag
[ "$(cat "$WORK/victim")" = precious ] || fail "the file named by -o in the file was changed"
echo "flags found in an attack: handled"
