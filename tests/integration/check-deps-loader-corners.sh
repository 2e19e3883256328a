#!/bin/sh
# Corners of ld.so's search that an attack found check getting wrong, each
# held to what the real loader does here:
# (1) a DT_RPATH entry that is a file, or a symbolic link loop, is passed over
#     (glibc's open_path skips a directory that does not stat as one): no
#     "cannot start" culprit, and the program runs;
# (2) a library root reached through a symbolic link takes $ORIGIN from the
#     path as given, as dlopen() and ldd do (a program takes its real one);
# (3) a static program (no PT_INTERP) linked -z execstack: no ld.so and no
#     system glibc predictions, since the libc inside it decides.
. "$TEST_LIB"
unset LD_LIBRARY_PATH
require_command gcc
require_command ldd
cd "$WORK"
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >m.c

# (1)
gcc m.c -o rp-file -Wl,--disable-new-dtags,-rpath,/etc/passwd
ln -s loop "$WORK/loop"
gcc m.c -o rp-loop -Wl,--disable-new-dtags,-rpath,"$WORK/loop"
for prog in rp-file rp-loop; do
  expect_code 0 "./$prog"
  expect_eq "$(cat "$WORK/out")" hi "$prog run directly"
  expect_code 0 "$SEALEXEC" check --deps --fail-on execstack,wx "./$prog"
  ! grep -q "culprit:" "$WORK/out" || fail "$prog: a search directory that is not one made a culprit: $(cat "$WORK/out")"
  expect_file_contains "$WORK/out" "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6"
done

# (2)
mkdir real links
printf 'int b(void) { return 2; }\n' >b.c
printf 'int b(void);\nint a(void) { return b(); }\n' >a.c
gcc -shared -fPIC -o real/libb.so b.c
gcc -shared -fPIC -o real/liba.so a.c -Lreal -lb -Wl,-rpath,'$ORIGIN'
ln -s ../real/liba.so links/liba.so
ldd "$WORK/links/liba.so" >ldd.out 2>&1 || true
grep -q "libb.so => not found" ldd.out || fail "precondition: ldd finds libb.so through the link: $(cat ldd.out)"
expect_code 0 "$SEALEXEC" check --deps --json "$WORK/links/liba.so"
python3 - "$WORK/out" <<'PY' || fail "a linked library root's \$ORIGIN: $(cat "$WORK/out")"
import json, sys
objects = json.load(open(sys.argv[1]))["files"][0]["closure"]["objects"]
b = [o for o in objects if o["name"] == "libb.so"]
assert len(b) == 1 and b[0]["path"] is None and b[0]["found_via"] == "not found", b
PY
# Given its real path, it is found, as ldd finds it.
expect_code 0 "$SEALEXEC" check --deps "$WORK/real/liba.so"
expect_file_contains "$WORK/out" "libb.so => $WORK/real/libb.so"

# (3)
if gcc -static -Wl,-z,execstack m.c -o static-x 2>/dev/null; then
  expect_code 0 "$SEALEXEC" check --deps --json ./static-x
  python3 - "$WORK/out" <<'PY' || fail "static program's predictions: $(cat "$WORK/out")"
import json, sys
c = json.load(open(sys.argv[1]))["files"][0]["closure"]["culprits"]
assert len(c) == 1 and c[0]["execstack"], c
assert c[0]["glibc_2_41"] == [], c[0]["glibc_2_41"]
systems = " ".join(p["system"] + ": " + p["outcome"] for p in c[0]["predictions"])
assert "glibc.rtld.execstack=0" not in systems and "no PT_INTERP" in systems, systems
PY
else
  echo "note: no static libc here; the static case is not checked" >&2
fi
