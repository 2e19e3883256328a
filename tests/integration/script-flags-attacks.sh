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
# Every spelling of an output file, to the compiler or passed on.
for flag in "--output=$WORK/victim" "-Wl,-o,$WORK/victim" "-Wl,--output=$WORK/victim" \
  "-Xlinker --output=$WORK/victim" "-Wp,-o,$WORK/victim" "-o$WORK/victim"; do
  expect_code 126 "$SEALEXEC" --flags "$flag" bar
  [ "$(cat "$WORK/victim")" = precious ] || fail "the file named by $flag was changed"
done
# ...but not clang's -obj... options, nor an LLVM option after -mllvm.
printf '#include <stdio.h>
int main(void) { puts("fine"); return 0; }
' >fine.c
if command -v clang-19 >/dev/null 2>&1; then
  expect_code 0 "$SEALEXEC" --compiler clang-19 --flags "-mllvm -opt-bisect-limit=100" fine.c
  expect_out fine "-mllvm -opt-bisect-limit"
fi

# A C++ helper in a C script: its language's search list is not asked
# for, so the binary runs uncached rather than with shadows unwatched.
printf 'extern "C" int h(void) { return 3; }\n' >h.cpp
cat >m.c <<'SRC'
#include <stdio.h>
int h(void);
int main(void) { printf("%d\n", h()); return 0; }
SRC
expect_code 0 "$SEALEXEC" script -v --source h.cpp --flags -lstdc++ m.c
expect_out 3 "a C script with a C++ helper"
expect_file_contains "$WORK/err" "not cached"

# The #! line's options count for `sealexec script tool` and for the
# editor's entry, as for ./tool.
printf '#!/usr/bin/env -S sealexec --lang c --flags -DX=1
int main(void) { int new = X; return new - 1; }
' >hashbang
chmod +x hashbang
expect_code 0 "$SEALEXEC" script hashbang
expect_code 0 "$SEALEXEC" script --compile-commands hashbang
grep -q '"-DX=1"' compile_commands.json || fail "the editor's entry lacks the #! line's flags"
grep -q '"-x",' compile_commands.json && python3 - <<'PY' || fail "the editor's entry is not for C"
import json
entry = [e for e in json.load(open("compile_commands.json")) if e["file"].endswith("/hashbang")][0]
args = entry["arguments"]
assert args[args.index("-x") + 1] == "c", args
PY
echo "flags found in an attack: handled"
