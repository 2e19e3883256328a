#!/bin/sh
# How ld.so treats a file it finds under a DT_NEEDED name that it cannot use
# (glibc elf/dl-load.c, open_verify): a file for another machine or ELF class
# is passed over and the search goes on; a file that is not ELF at all, or
# too short, stops the load with an error ("invalid ELF header", "file too
# short"). check --deps must follow both: the first case resolves to the
# next directory, the second must not be reported as a clean closure found
# further down the search path.
. "$TEST_LIB"
require_command python3
unset LD_LIBRARY_PATH
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler"

d=$(cd "$WORK" && pwd -P)
mkdir "$d/a" "$d/b"
printf 'int g(void) { return 0; }\n' >"$d/g.c"
printf 'int g(void);\nint main(void) { return g(); }\n' >"$d/p.c"
"$cc" -shared -fPIC -o "$d/b/libg.so" "$d/g.c" || fail "cannot build libg.so"
"$cc" -o "$d/p" "$d/p.c" -L"$d/b" -lg -Wl,-rpath,'$ORIGIN/a:$ORIGIN/b' || fail "cannot build p"

# A libg.so for another machine in a/: passed over, b/ is used.
cp "$d/b/libg.so" "$d/a/libg.so"
printf '\267\000' | dd of="$d/a/libg.so" bs=1 seek=18 conv=notrunc 2>/dev/null   # EM_AARCH64
expect_code 0 "$d/p"
expect_code 0 "$SEALEXEC" check --deps "$d/p"
expect_file_contains "$WORK/out" "libg.so => $d/b/libg.so"

# A libg.so in a/ that is not ELF: ld.so stops there.
printf 'this is not an ELF file, but it is long enough to hold an ELF header and more\n' >"$d/a/libg.so"
expect_code 127 "$d/p"
expect_file_contains "$WORK/err" "$d/a/libg.so: invalid ELF header"
code=0
"$SEALEXEC" check --deps --json "$d/p" >"$WORK/json" 2>"$WORK/err" || code=$?
python3 - "$WORK/json" "$d" <<'PY' || fail "check --deps (exit $code) reports a closure ld.so cannot load: $(cat "$WORK/json") $(cat "$WORK/err")"
import json, sys
d = sys.argv[2]
closure = json.load(open(sys.argv[1]))["files"][0]["closure"]
libg = [o for o in closure["objects"] if o["name"] == "libg.so"]
assert libg, closure
# Not the next directory's file, as if a/libg.so were not there.
assert all(o["path"] != d + "/b/libg.so" for o in libg), libg
PY
