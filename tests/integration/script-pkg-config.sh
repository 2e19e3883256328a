#!/bin/sh
# sealexec script --pkg: libraries by pkg-config name, on the command line
# (`sealexec --pkg zlib FILE`, `sealexec script --pkg=fmt FILE`) or on a
# '// sealexec: --pkg NAME' line, with the real pkg-config and real packages
# (zlib for C, fmt for C++) and a private package, mylib, in $WORK.
#   - the scripts build and print the right thing; without --pkg zlib the
#     zlib script does not link (so --pkg is what brought -lz);
#   - a warm run starts neither pkg-config ($PKG_CONFIG, a counting wrapper
#     that takes an argument of its own) nor the compiler (counting too);
#   - editing mylib.pc (MYLIB_LEVEL=1 -> 2, back-dated) asks pkg-config
#     again and recompiles, and the output changes; touching it without a
#     change may ask pkg-config again but never starts the compiler, and
#     the run after that asks nobody; editing mydep.pc, which mylib.pc
#     requires, recompiles too; rewording mylib.pc (same flags) recompiles,
#     its SHA-256 being part of the key; a second script asking for the
#     same packages uses the cached answer (no pkg-config on its cold run);
#   - a mylib.pc appearing in an earlier $PKG_CONFIG_PATH directory (shadowing
#     the one used) is noticed, and so is its going away;
#   - another PKG_CONFIG* variable asks pkg-config again (it is part of the
#     answer's key), but the same answer does not recompile;
#   - an unknown package: 124, one line naming it, no compile; a bad name
#     (command line): 125, pkg-config never started; a bad name on a
#     '// sealexec:' line: an error naming FILE:LINE; PKG_CONFIG=/nonexistent:
#     127, whether it is a missing path, a name not in PATH, or PATH has no
#     pkg-config, and the message names the command that was not found.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
require_command pkg-config
pkg-config --exists zlib fmt \
  || skip "needs the pkg-config packages zlib and fmt (apt install zlib1g-dev libfmt-dev)"
counting_compiler cc-count cc
counting_compiler cxx-count c++

# The counting pkg-config: like counting_compiler, created once and never
# touched again (its identity is part of the cached answer's key). It
# demands its own first argument, so it shows that $PKG_CONFIG is split
# like a command line.
real_pkg_config=$(command -v pkg-config)
{
  echo '#!/bin/sh'
  # shellcheck disable=SC2016 # the wrapper's own text
  echo '[ "$1" = --sealexec-test-marker ] || { echo "pkg-config wrapper: marker missing" >&2; exit 3; }'
  echo 'shift'
  printf 'printf "%%s\\n" "$*" >>"%s"\n' "$WORK/pkgconf-count.count"
  printf 'exec "%s" "$@"\n' "$real_pkg_config"
} >"$WORK/pkgconf-count"
chmod 755 "$WORK/pkgconf-count"
backdate "$WORK/pkgconf-count"
: >"$WORK/pkgconf-count.count"
PKG_CONFIG="$WORK/pkgconf-count --sealexec-test-marker"
export PKG_CONFIG
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_ALLOW_SYSTEM_CFLAGS \
  PKG_CONFIG_ALLOW_SYSTEM_LIBS PKG_CONFIG_DISABLE_UNINSTALLED PKG_CONFIG_TOP_BUILD_DIR \
  2>/dev/null || true

# The private package: mylib.pc in pc/main, found through $PKG_CONFIG_PATH,
# after pc/early (which exists but lacks it).
mkdir -p "$WORK/pc/early" "$WORK/pc/main/include" "$WORK/src"
write_pc() { # FILE LEVEL
  cat >"$1" <<PC
Name: mylib
Description: a private test package
Version: 1.0
Requires: mydep
Cflags: -DMYLIB_LEVEL=$2 -I\${pcfiledir}/include
Libs:
PC
}
write_dep_pc() { # VALUE: mydep.pc, which mylib requires
  cat >"$WORK/pc/main/mydep.pc" <<PC
Name: mydep
Description: what mylib requires
Version: 1.0
Cflags: -DMYDEP_VALUE=$1
Libs:
PC
}
write_pc "$WORK/pc/main/mylib.pc" 1
write_dep_pc 10
printf '#define MYLIB_NAME "main"\n' >"$WORK/pc/main/include/mylib.h"
PKG_CONFIG_PATH=$WORK/pc/early:$WORK/pc/main
export PKG_CONFIG_PATH

cat >"$WORK/src/zdirective.c" <<'SRC'
// sealexec: -O1 --pkg zlib
#include <stdio.h>
#include <zlib.h>
int main(void) {
  printf("zlib crc %lu\n", crc32(0L, (const Bytef *)"hello", 5));
  return 0;
}
SRC
cp "$WORK/src/zdirective.c" "$WORK/src/zcli.c"
sed -i '1d' "$WORK/src/zcli.c"
cat >"$WORK/src/fdirective.cpp" <<'SRC'
// sealexec: --pkg=fmt -std=c++17
#include <fmt/core.h>
int main() {
  fmt::print("fmt {} {}\n", 6 * 7, "answer");
}
SRC
cp "$WORK/src/fdirective.cpp" "$WORK/src/fcli.cpp"
sed -i '1d' "$WORK/src/fcli.cpp"
cat >"$WORK/src/mine.c" <<'SRC'
#include <stdio.h>
// sealexec: --pkg mylib
#include <mylib.h>
int main(void) {
  printf("mylib %d %s dep %d\n", MYLIB_LEVEL, MYLIB_NAME, MYDEP_VALUE);
  return 0;
}
SRC
printf '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n' >"$WORK/src/ok.c"
# Everything dated in the past, the directories on the search path included.
backdate "$WORK/src/"* "$WORK/pc/main/mylib.pc" "$WORK/pc/main/mydep.pc" "$WORK/pc/main/include/mylib.h" \
  "$WORK/pc/main/include" "$WORK/pc/main" "$WORK/pc/early"

pkgconf_calls() { calls pkgconf-count; }

# run WHAT COMMAND...: must exit 0; stdout in $WORK/out, stderr in $WORK/err.
run() {
  what=$1
  shift
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || { cat "$WORK/out" "$WORK/err" >&2; fail "$what: exit code $rc"; }
}

zlib_crc=$(python3 -c 'import zlib; print(zlib.crc32(b"hello"))' 2>/dev/null) || zlib_crc=907060870

# (a) + (b): each script compiles once, then a warm run starts nothing.
# ASKS: whether the cold run must ask pkg-config (yes), or must not, since
# an earlier script asked for the same packages in the same environment (no).
check_pair() { # WHAT OUTPUT COUNTER ASKS ARGS...
  what=$1 want=$2 counter=$3 asks=$4
  shift 4
  p=$(pkgconf_calls) c=$(compiles "$counter")
  run "$what (cold)" "$SEALEXEC" "$@"
  expect_out "$want" "$what (cold)"
  expect_compiled "$what (cold)"
  expect_eq "$(compiles "$counter")" "$((c + 1))" "$what: compiles after the cold run"
  if [ "$asks" = yes ]; then
    [ "$(pkgconf_calls)" -gt "$p" ] || fail "$what: the cold run did not ask \$PKG_CONFIG"
  else
    expect_eq "$(pkgconf_calls)" "$p" "$what: pkg-config runs on the cold run (its answer was cached by another script)"
  fi
  p=$(pkgconf_calls) n=$(calls "$counter")
  run "$what (warm)" "$SEALEXEC" "$@"
  expect_out "$want" "$what (warm)"
  expect_not_compiled "$what (warm)"
  expect_eq "$(calls "$counter")" "$n" "$what: compiler runs on the warm run"
  expect_eq "$(pkgconf_calls)" "$p" "$what: pkg-config runs on the warm run"
}
cd "$WORK/src"
check_pair "zlib, directive" "zlib crc $zlib_crc" cc-count yes \
  script -v --compiler "$WORK/cc-count" zdirective.c
check_pair "zlib, --pkg before FILE without 'script'" "zlib crc $zlib_crc" cc-count no \
  -v --compiler "$WORK/cc-count" --pkg zlib "$WORK/src/zcli.c"
check_pair "fmt, directive" "fmt 42 answer" cxx-count yes \
  script -v --compiler "$WORK/cxx-count" fdirective.cpp
check_pair "fmt, script --pkg=fmt" "fmt 42 answer" cxx-count no \
  script -v --compiler "$WORK/cxx-count" --pkg=fmt --flags -std=c++17 fcli.cpp
check_pair "mylib, directive" "mylib 1 main dep 10" cc-count yes \
  script -v --compiler "$WORK/cc-count" mine.c
grep -q -- '--cflags.*mylib' "$WORK/pkgconf-count.count" \
  || { cat "$WORK/pkgconf-count.count" >&2; fail "pkg-config was never asked for mylib's --cflags"; }

# Control: without --pkg zlib the same file does not link, so the -lz above
# came from pkg-config.
expect_code 124 "$SEALEXEC" script --compiler "$WORK/cc-count" zcli.c

# (c) mylib.pc edited (same size, back-dated): pkg-config is asked again and
# the script recompiles with the new flags.
write_pc "$WORK/pc/main/mylib.pc" 2
backdate "$WORK/pc/main/mylib.pc"
p=$(pkgconf_calls) c=$(compiles cc-count)
run "after editing mylib.pc" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 2 main dep 10" "after editing mylib.pc"
expect_compiled "after editing mylib.pc"
expect_eq "$(compiles cc-count)" "$((c + 1))" "compiles after editing mylib.pc"
[ "$(pkgconf_calls)" -gt "$p" ] || fail "editing mylib.pc did not ask pkg-config again"
p=$(pkgconf_calls) n=$(calls cc-count)
run "warm after editing mylib.pc" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 2 main dep 10" "warm after editing mylib.pc"
expect_not_compiled "warm after editing mylib.pc"
expect_eq "$(calls cc-count)" "$n" "compiler runs, warm after editing mylib.pc"
expect_eq "$(pkgconf_calls)" "$p" "pkg-config runs, warm after editing mylib.pc"

# (f) mylib.pc touched, not changed: pkg-config may be asked again, the
# compiler must not run; and the next run asks nobody.
touch "$WORK/pc/main/mylib.pc"
sleep 0.05
run "after touching mylib.pc" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 2 main dep 10" "after touching mylib.pc"
expect_not_compiled "after touching mylib.pc"
expect_eq "$(calls cc-count)" "$n" "compiler runs after touching mylib.pc"
p=$(pkgconf_calls)
run "second run after touching mylib.pc" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 2 main dep 10" "second run after touching mylib.pc"
expect_eq "$(calls cc-count)" "$n" "compiler runs, second run after touching mylib.pc"
expect_eq "$(pkgconf_calls)" "$p" "pkg-config runs, second run after touching mylib.pc"

# mydep.pc, which mylib.pc requires, edited: it was read too, so pkg-config
# is asked again and the script recompiles with its new flags.
write_dep_pc 20
backdate "$WORK/pc/main/mydep.pc"
p=$(pkgconf_calls) c=$(compiles cc-count)
run "after editing mydep.pc" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 2 main dep 20" "after editing mydep.pc (required by mylib.pc)"
expect_compiled "after editing mydep.pc"
expect_eq "$(compiles cc-count)" "$((c + 1))" "compiles after editing mydep.pc"
[ "$(pkgconf_calls)" -gt "$p" ] || fail "editing mydep.pc (required by mylib) did not ask pkg-config again"
write_dep_pc 10
backdate "$WORK/pc/main/mydep.pc"
run "after restoring mydep.pc" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 2 main dep 10" "after restoring mydep.pc"

# mylib.pc's content changes but not its flags (its Description): the .pc
# file's SHA-256 is in the key, so the script recompiles, same output.
sed -i 's/^Description: .*/Description: a private test package, reworded/' "$WORK/pc/main/mylib.pc"
backdate "$WORK/pc/main/mylib.pc"
c=$(compiles cc-count)
run "after rewording mylib.pc" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 2 main dep 10" "after rewording mylib.pc"
expect_eq "$(compiles cc-count)" "$((c + 1))" "compiles after rewording mylib.pc (its SHA-256 changed)"
n=$(calls cc-count)

# Another PKG_CONFIG* variable: a different answer key, so pkg-config is
# asked; its answer is the same, so the script's binary stands.
p=$(pkgconf_calls)
run "with PKG_CONFIG_ALLOW_SYSTEM_CFLAGS" \
  env PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 2 main dep 10" "with PKG_CONFIG_ALLOW_SYSTEM_CFLAGS"
[ "$(pkgconf_calls)" -gt "$p" ] \
  || fail "a new PKG_CONFIG_ALLOW_SYSTEM_CFLAGS did not ask pkg-config (the environment is not in the answer's key)"
expect_eq "$(calls cc-count)" "$n" "compiler runs with PKG_CONFIG_ALLOW_SYSTEM_CFLAGS (same answer)"

# (d) A mylib.pc appears in pc/early, earlier on $PKG_CONFIG_PATH: it shadows
# pc/main's, though no file that was read changed.
mkdir "$WORK/pc/early/include"
printf '#define MYLIB_NAME "early"\n' >"$WORK/pc/early/include/mylib.h"
write_pc "$WORK/pc/early/mylib.pc" 3
backdate "$WORK/pc/early/include/mylib.h" "$WORK/pc/early/include" "$WORK/pc/early/mylib.pc" \
  "$WORK/pc/early"
p=$(pkgconf_calls) c=$(compiles cc-count)
run "after pc/early/mylib.pc appeared" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 3 early dep 10" "after pc/early/mylib.pc appeared"
expect_compiled "after pc/early/mylib.pc appeared"
expect_eq "$(compiles cc-count)" "$((c + 1))" "compiles after pc/early/mylib.pc appeared"
[ "$(pkgconf_calls)" -gt "$p" ] || fail "the shadowing mylib.pc did not ask pkg-config again"
p=$(pkgconf_calls) n=$(calls cc-count)
run "warm with pc/early/mylib.pc" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 3 early dep 10" "warm with pc/early/mylib.pc"
expect_not_compiled "warm with pc/early/mylib.pc"
expect_eq "$(calls cc-count)" "$n" "compiler runs, warm with pc/early/mylib.pc"
expect_eq "$(pkgconf_calls)" "$p" "pkg-config runs, warm with pc/early/mylib.pc"

# And it goes away: pc/main's mylib (level 2) again, from the cache.
rm "$WORK/pc/early/mylib.pc"
backdate "$WORK/pc/early"
p=$(pkgconf_calls)
run "after pc/early/mylib.pc went away" "$SEALEXEC" script -v --compiler "$WORK/cc-count" mine.c
expect_out "mylib 2 main dep 10" "after pc/early/mylib.pc went away"
[ "$(pkgconf_calls)" -gt "$p" ] || fail "removing the shadowing mylib.pc did not ask pkg-config again"

# (e) Failures.
p=$(pkgconf_calls) c=$(compiles cc-count)
expect_code 124 "$SEALEXEC" script --compiler "$WORK/cc-count" --pkg nosuch ok.c
expect_error_line "sealexec: ok.c: " "nosuch"
expect_file_contains "$WORK/err" "pkg-config"
printf '// sealexec: --pkg zlib,nosuch\n#include <stdio.h>\nint main(void) { puts("ran"); return 0; }\n' \
  >"$WORK/src/unknown.c"
expect_code 124 "$SEALEXEC" script --compiler "$WORK/cc-count" unknown.c
expect_error_line "sealexec: unknown.c: " "nosuch"
expect_eq "$(compiles cc-count)" "$c" "compiles for unknown packages"

p=$(pkgconf_calls)
for bad in 'a b' '-static' '--libs' 'zlib>=1' '../mylib' 'zlib;id'; do
  expect_code 125 "$SEALEXEC" script --pkg "$bad" ok.c
  expect_error_line "sealexec: " "'$bad' is not a package name"
  expect_code 125 "$SEALEXEC" "--pkg=zlib,$bad" ok.c
  expect_error_line "sealexec: " "'$bad' is not a package name"
done
printf '// sealexec: -O1\n// sealexec: --pkg=-static\nint main(void) { return 0; }\n' >"$WORK/src/badline.c"
set +e
"$SEALEXEC" script badline.c >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a bad --pkg name on a '// sealexec:' line was accepted"
expect_error_line "sealexec: $WORK/src/badline.c:2: " "'-static' is not a package name"
expect_eq "$(pkgconf_calls)" "$p" "pkg-config runs for bad package names"
expect_eq "$(compiles cc-count)" "$c" "compiles for bad package names"

# pkg-config not found: 127, whether $PKG_CONFIG names a missing path or a
# name PATH lacks, or it is unset and PATH has no pkg-config. The exit codes
# first; then that the message names the command that was not found (as
# script-errors.sh demands for a missing compiler).
expect_code 127 env PKG_CONFIG=/nonexistent "$SEALEXEC" script --pkg zlib ok.c
expect_error_line "sealexec: " "pkg-config"
cp "$WORK/err" "$WORK/err.absolute"
expect_code 127 env PKG_CONFIG=/nonexistent "$SEALEXEC" script mine.c
expect_error_line "sealexec: " "pkg-config"
expect_code 127 env PKG_CONFIG=no-such-pkg-config-here "$SEALEXEC" script --pkg zlib ok.c
expect_error_line "sealexec: " "pkg-config"
cp "$WORK/err" "$WORK/err.name"
expect_code 127 env -u PKG_CONFIG PATH="$WORK/empty-path" \
  "$SEALEXEC" script --compiler "$WORK/cc-count" --pkg zlib ok.c
expect_error_line "sealexec: " "pkg-config"
expect_eq "$(compiles cc-count)" "$c" "compiles when pkg-config is missing"
expect_file_contains "$WORK/err.absolute" "/nonexistent"
expect_file_contains "$WORK/err.name" "no-such-pkg-config-here"
