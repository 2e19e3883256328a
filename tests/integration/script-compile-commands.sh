#!/bin/sh
# sealexec script --compile-commands FILE: FILE's entry (and one per --source
# file) in compile_commands.json in FILE's real directory, for editors; FILE
# is neither compiled nor run.
#   (a) an extensionless '#!/usr/bin/env sealexec' C++ script, reached through
#       a symlinked directory from another cwd, using a private pkg-config
#       package: its entry has the real directory and file, the compiler,
#       "-iquote DIR", the file's flags, the package's cflags, "-x c++", "-c"
#       and the file last, and no link flags; the compiler never saw the file
#       and the cache holds no binary;
#   (b) other entries of an existing database are kept, a stale entry for the
#       same file is replaced, and a second run leaves one entry per file;
#       the file's mode is kept;
#   (c) a --source helper gets its own entry;
#   (d) invalid JSON, a non-array, an array of non-objects: refused, the file
#       left byte-identical (same inode);
#   (e) a symlinked compile_commands.json stays the same link, its target
#       (mode 0600, kept) gets the entry;
#   (f) with clangd: a '.clangd' file suppressing pp_invalid_directive (the
#       #! line) for the script, `clangd --check` reports 0 errors on a
#       script that needs the package's cflags and -x c++ to parse, and
#       without the database it reports errors (so the database is what
#       makes it work). Skipped, loudly, when clangd is missing.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
require_command python3
require_command pkg-config
counting_compiler cxx-count c++
counting_compiler cc-count cc
unset PKG_CONFIG PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR 2>/dev/null || true

R=$(cd "$WORK" && pwd -P) # $WORK with every symlink resolved
mkdir -p "$WORK/pc/main/include" "$WORK/proj" "$WORK/elsewhere"
cat >"$WORK/pc/main/mylib.pc" <<'PC'
Name: mylib
Description: a private test package
Version: 1.0
Cflags: -DMYLIB_LEVEL=1 -I${pcfiledir}/include
Libs:
PC
printf '#define MYLIB_NAME "main"\n' >"$WORK/pc/main/include/mylib.h"
PKG_CONFIG_PATH=$WORK/pc/main
export PKG_CONFIG_PATH
pkg-config --exists mylib || fail "pkg-config does not find the private package mylib"
ln -s proj "$WORK/via" # the script's directory, through a symlink

cat >"$WORK/proj/tool" <<'SRC'
#!/usr/bin/env sealexec
// sealexec: --pkg mylib -DEXTRA_FLAG=7 -lm -Wl,--as-needed
// sealexec: --source helper.cpp
#include <mylib.h>
#include <cstdio>
#include <string>
#if MYLIB_LEVEL != 1
#error "MYLIB_LEVEL is not 1: the package's cflags are missing"
#endif
int helper();
int main() {
  std::string name = MYLIB_NAME;
  std::printf("ran %s %d %d\n", name.c_str(), helper(), EXTRA_FLAG);
  return 0;
}
SRC
chmod 755 "$WORK/proj/tool"
printf '#include <mylib.h>\nint helper() { return MYLIB_LEVEL; }\n' >"$WORK/proj/helper.cpp"
backdate "$WORK/proj/tool" "$WORK/proj/helper.cpp"

# check.py DB WHAT...: assertions on the database DB, in python3's json.
cat >"$WORK/check.py" <<'PY'
import json, os, sys

db_path, what = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
def fail(msg):
    sys.exit("FAIL: %s: %s\n--- %s:\n%s" % (what, msg, db_path, open(db_path).read()))
try:
    db = json.load(open(db_path))
except ValueError as e:
    fail("not valid JSON: %s" % e)
if not isinstance(db, list) or not all(isinstance(e, dict) for e in db):
    fail("not a JSON array of objects")

def path_of(entry):
    f = entry.get("file", "")
    return os.path.normpath(os.path.join(entry.get("directory", ""), f))

def entries_for(path):
    return [e for e in db if path_of(e) == path]

def one(path):
    found = entries_for(path)
    if len(found) != 1:
        fail("%d entries for %s, expected 1" % (len(found), path))
    return found[0]

def check_entry(e, file, directory, compiler, lang, needs):
    a = e.get("arguments")
    if not isinstance(a, list) or not all(isinstance(x, str) for x in a):
        fail("%s: no \"arguments\" array of strings" % file)
    if e.get("file") != file:
        fail("\"file\" is %r, expected the absolute real path %r" % (e.get("file"), file))
    if e.get("directory") != directory:
        fail("\"directory\" is %r, expected %r" % (e.get("directory"), directory))
    if not os.path.exists(a[0]) or not os.path.samefile(a[0], compiler):
        fail("%s: the compiler is %r, expected %r" % (file, a[0], compiler))
    if a[-1] != file:
        fail("%s: the last argument is %r, expected the file" % (file, a[-1]))
    if a[-2] != "-c":
        fail("%s: %r before the file, expected -c" % (file, a[-2]))
    pos = [i for i, x in enumerate(a) if x == "-iquote"]
    if not pos or pos[0] + 1 >= len(a) or a[pos[0] + 1] != directory:
        fail("%s: no '-iquote %s'" % (file, directory))
    if lang is not None:
        if a[-4:-2] != ["-x", lang]:
            fail("%s: no '-x %s' before '-c FILE' (%r)" % (file, lang, a[-4:-2]))
    elif "-x" in a:
        i = a.index("-x")
        if a[i + 1] not in ("c++",):
            fail("%s: '-x %s'" % (file, a[i + 1]))
    for arg in a:
        if arg.startswith("-l") or arg.startswith("-Wl,"):
            fail("%s: a link flag %r (the entry is a compile)" % (file, arg))
    order = []
    for need in needs:
        if need.startswith("-I"):
            want = os.path.realpath(need[2:])
            hits = [i for i, x in enumerate(a)
                    if x.startswith("-I") and os.path.realpath(x[2:]) == want]
        else:
            hits = [i for i, x in enumerate(a) if x == need]
        if not hits:
            fail("%s: lacks %r" % (file, need))
        order.append(hits[0])
    if order != sorted(order) or (order and order[0] < pos[0]):
        fail("%s: %r not in this order after -iquote: %r" % (file, needs, a))

cmd = args[0]
if cmd == "entry":   # entry FILE DIRECTORY COMPILER LANG|- NEED...
    file, directory, compiler, lang = args[1:5]
    check_entry(one(file), file, directory, compiler, None if lang == "-" else lang, args[5:])
elif cmd == "count":  # count N: the database has N entries
    if len(db) != int(args[1]):
        fail("%d entries, expected %s" % (len(db), args[1]))
elif cmd == "has":   # has JSON: an entry equal to this one, exactly once
    want = json.loads(args[1])
    n = sum(1 for e in db if e == want)
    if n != 1:
        fail("%d entries equal to %s, expected 1" % (n, args[1]))
elif cmd == "none":  # none FILE: no entry for FILE
    if entries_for(args[1]):
        fail("an entry for %s" % args[1])
else:
    sys.exit("check.py: unknown command " + cmd)
PY
check() { python3 "$WORK/check.py" "$@" || exit 1; }
files_in() { # DIR: the names in DIR, sorted, on one line
  (cd "$1" && find . -mindepth 1 -maxdepth 1 | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
}

P=$R/proj
tool_needs="-DEXTRA_FLAG=7 -DMYLIB_LEVEL=1 -I$R/pc/main/include"

# (a) From another cwd, through the symlinked directory.
cd "$WORK/elsewhere"
expect_code 0 "$SEALEXEC" script --compile-commands --compiler "$WORK/cxx-count" ../via/tool
[ ! -s "$WORK/out" ] || fail "--compile-commands wrote to stdout (did it run the script?): $(cat "$WORK/out")"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "$P/compile_commands.json"
[ -f "$P/compile_commands.json" ] || fail "no $P/compile_commands.json"
[ ! -e "$WORK/elsewhere/compile_commands.json" ] || fail "compile_commands.json written in the cwd"
# shellcheck disable=SC2086 # tool_needs: words on purpose
check "$P/compile_commands.json" "(a) the script's entry" \
  entry "$P/tool" "$P" "$WORK/cxx-count" c++ $tool_needs
expect_eq "$(compiles cxx-count)" 0 "compiles by --compile-commands"
if grep -qF "tool" "$WORK/cxx-count.count"; then
  cat "$WORK/cxx-count.count" >&2
  fail "--compile-commands showed the script to the compiler"
fi
expect_eq "$(script_entries)" 0 "script entries in the cache after --compile-commands"
cd "$WORK"

# (c) The --source helper's own entry, with the same flags.
check "$P/compile_commands.json" "(c) the --source helper's entry" \
  entry "$P/helper.cpp" "$P" "$WORK/cxx-count" - -DEXTRA_FLAG=7 -DMYLIB_LEVEL=1
check "$P/compile_commands.json" "(a) entries in a new database" count 2

# (b) Merged into an existing database: other entries kept, a stale entry
# for the same file (relative to its directory) replaced, the mode kept.
other1='{"directory": "/somewhere/else", "file": "other.c", "arguments": ["cc", "-c", "other.c"]}'
other2="{\"directory\": \"$P\", \"file\": \"$P/sub/lib.cpp\", \"command\": \"c++ -O2 -c sub/lib.cpp\", \"output\": \"lib.o\"}"
stale="{\"directory\": \"$P\", \"file\": \"tool\", \"arguments\": [\"stale-compiler\", \"-c\", \"tool\"]}"
printf '[\n%s,\n%s,\n%s\n]\n' "$other1" "$stale" "$other2" >"$P/compile_commands.json"
chmod 640 "$P/compile_commands.json"
for round in 1 2; do
  expect_code 0 "$SEALEXEC" script --compile-commands --compiler "$WORK/cxx-count" "$P/tool"
  expect_lines "$WORK/err" 1
  check "$P/compile_commands.json" "(b) round $round: kept" has "$other1"
  check "$P/compile_commands.json" "(b) round $round: kept" has "$other2"
  # shellcheck disable=SC2086
  check "$P/compile_commands.json" "(b) round $round: the script's entry" \
    entry "$P/tool" "$P" "$WORK/cxx-count" c++ $tool_needs
  check "$P/compile_commands.json" "(b) round $round: the helper's entry" \
    entry "$P/helper.cpp" "$P" "$WORK/cxx-count" - -DMYLIB_LEVEL=1
  check "$P/compile_commands.json" "(b) round $round: entries" count 4
  expect_eq "$(stat -c %a "$P/compile_commands.json")" 640 "(b) round $round: the database's mode"
done
if grep -qF stale-compiler "$P/compile_commands.json"; then fail "(b) the stale entry survived"; fi
expect_eq "$(compiles cxx-count)" 0 "compiles by --compile-commands (b)"

# (d) A database that is not one: refused, left exactly as it was.
mkdir "$WORK/bad"
printf '#include <stdio.h>\nint main(void) { puts("plain"); return 0; }\n' >"$WORK/bad/plain.c"
backdate "$WORK/bad/plain.c"
n=0
for text in '[{"directory": "/x", "file": "a.c",' '{"directory": "/x", "file": "a.c", "command": "cc -c a.c"}' \
  '[1, 2]' 'null' '[{"directory": "/x", "file": "a.c", "command": "cc"}] trailing'; do
  n=$((n + 1))
  printf '%s\n' "$text" >"$WORK/bad/compile_commands.json"
  cp "$WORK/bad/compile_commands.json" "$WORK/bad.want"
  inode=$(stat -c %i "$WORK/bad/compile_commands.json")
  set +e
  "$SEALEXEC" script --compile-commands --compiler "$WORK/cc-count" "$WORK/bad/plain.c" \
    >"$WORK/out" 2>"$WORK/err"
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "(d) database $n ('$text') accepted"
  expect_error_line "sealexec: " "compile_commands.json"
  cmp -s "$WORK/bad/compile_commands.json" "$WORK/bad.want" \
    || fail "(d) database $n ('$text') changed: $(cat "$WORK/bad/compile_commands.json")"
  expect_eq "$(stat -c %i "$WORK/bad/compile_commands.json")" "$inode" "(d) database $n's inode"
  expect_eq "$(files_in "$WORK/bad")" "compile_commands.json plain.c" "(d) files left in bad/"
done

# (e) A symlinked database: written through, the link stays as it was, the
# target keeps its mode 0600 and its other entry.
mkdir "$WORK/linked" "$WORK/build"
cp "$WORK/bad/plain.c" "$WORK/linked/plain.c"
printf '[%s]\n' "$other1" >"$WORK/build/cc.json"
chmod 600 "$WORK/build/cc.json"
ln -s ../build/cc.json "$WORK/linked/compile_commands.json"
expect_code 0 "$SEALEXEC" script --compile-commands --compiler "$WORK/cc-count" "$WORK/linked/plain.c"
expect_lines "$WORK/err" 1
[ -L "$WORK/linked/compile_commands.json" ] || fail "(e) compile_commands.json is no longer a symlink"
expect_eq "$(readlink "$WORK/linked/compile_commands.json")" "../build/cc.json" "(e) the link"
check "$WORK/build/cc.json" "(e) the link's target" \
  entry "$R/linked/plain.c" "$R/linked" "$WORK/cc-count" c
check "$WORK/build/cc.json" "(e) the link's target" has "$other1"
check "$WORK/build/cc.json" "(e) the link's target" count 2
expect_eq "$(stat -c %a "$WORK/build/cc.json")" 600 "(e) the target's mode"
expect_eq "$(files_in "$WORK/linked")" "compile_commands.json plain.c" "(e) files in linked/"
expect_eq "$(files_in "$WORK/build")" "cc.json" "(e) files in build/ (no temporary left)"
expect_eq "$(compiles cc-count)" 0 "compiles by --compile-commands (e)"
expect_eq "$(script_entries)" 0 "script entries in the cache after all --compile-commands"

# (f) clangd, when there is one.
if ! command -v clangd >/dev/null 2>&1; then
  echo "SKIPPED PART: (f) clangd --check with the database: needs the command clangd" >&2
  exit 0
fi
# The database with the default compiler this time (clangd asks no wrapper).
expect_code 0 "$SEALEXEC" script --compile-commands "$P/tool"
printf 'If:\n  PathMatch: tool\nDiagnostics:\n  Suppress: pp_invalid_directive\n' >"$P/.clangd"
mkdir "$WORK/home"
clangd_errors() { # WHAT: clangd --check on the script; prints its error count
  (cd "$P" && HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_CACHE_HOME=$WORK/home/.cache \
    timeout 60 clangd --check="$P/tool") >"$WORK/clangd.$1" 2>&1 || true
  sed -n 's/.*All checks completed, \([0-9][0-9]*\) errors.*/\1/p' "$WORK/clangd.$1" | tail -n 1
}
got=$(clangd_errors with-db)
[ "$got" = 0 ] || { cat "$WORK/clangd.with-db" >&2; fail "(f) clangd --check with the database: '$got' errors, expected 0"; }
# Controls. Without the database the package's header is not found:
mv "$P/compile_commands.json" "$WORK/db.aside"
got=$(clangd_errors without-db)
if [ -z "$got" ] || [ "$got" -eq 0 ]; then
  cat "$WORK/clangd.without-db" >&2
  fail "(f) clangd --check without the database: '$got' errors, expected some"
fi
expect_file_contains "$WORK/clangd.without-db" "mylib.h"
mv "$WORK/db.aside" "$P/compile_commands.json"
# and without the .clangd file the #! line is the one error.
rm "$P/.clangd"
got=$(clangd_errors without-clangd-file)
[ "$got" = 1 ] || { cat "$WORK/clangd.without-clangd-file" >&2; fail "(f) clangd --check without .clangd: '$got' errors, expected 1"; }
expect_file_contains "$WORK/clangd.without-clangd-file" "pp_invalid_directive"

# (g) Found in an attack: writers at once each keep the others' entries; a
# link to a database not made yet is written through, not replaced; a
# hostile nesting depth is refused, not a crash; a path that is not UTF-8
# is refused, not written so that it duplicates itself.
mkdir "$WORK/many"
i=0
while [ $i -lt 12 ]; do
  printf '#!/usr/bin/env sealexec\nint main() {}\n' >"$WORK/many/s$i"
  i=$((i + 1))
done
i=0
while [ $i -lt 12 ]; do
  "$SEALEXEC" script --compile-commands "$WORK/many/s$i" 2>/dev/null &
  i=$((i + 1))
done
wait
got=$(grep -c '"file"' "$WORK/many/compile_commands.json")
[ "$got" = 12 ] || fail "(g) 12 writers at once left $got entries"

mkdir -p "$WORK/dangling/build"
printf '#!/usr/bin/env sealexec\nint main() {}\n' >"$WORK/dangling/t"
ln -s build/compile_commands.json "$WORK/dangling/compile_commands.json"
expect_code 0 "$SEALEXEC" script --compile-commands "$WORK/dangling/t"
[ -L "$WORK/dangling/compile_commands.json" ] || fail "(g) a dangling link was replaced by a file"
[ -s "$WORK/dangling/build/compile_commands.json" ] || fail "(g) the dangling link's target was not written"

mkdir "$WORK/deep"
printf '#!/usr/bin/env sealexec\nint main() {}\n' >"$WORK/deep/t"
python3 -c "print('[{\"file\":\"a\",\"x\":' + '[' * 60000 + ']' * 60000 + '}]')" >"$WORK/deep/compile_commands.json"
cp "$WORK/deep/compile_commands.json" "$WORK/deep.before"
expect_code 126 "$SEALEXEC" script --compile-commands "$WORK/deep/t"
expect_file_contains "$WORK/err" "deep"
cmp -s "$WORK/deep/compile_commands.json" "$WORK/deep.before" || fail "(g) the deep database was changed"

latin=$(printf 'lat\351')
mkdir "$WORK/$latin"
printf '#!/usr/bin/env sealexec\nint main() {}\n' >"$WORK/$latin/t"
expect_code 125 "$SEALEXEC" script --compile-commands "$WORK/$latin/t"
expect_file_contains "$WORK/err" "not UTF-8"
[ ! -e "$WORK/$latin/compile_commands.json" ] || fail "(g) a database was written for a path that is not UTF-8"
echo "compile_commands.json: written, merged, refused as documented"
