#!/bin/sh
# check --deps follows glibc's search order, compared with ldd on programs
# built for it: DT_RPATH is inherited down the loading chain, DT_RUNPATH is
# not (and an object with DT_RUNPATH ignores the RPATH chain), $ORIGIN is the
# directory of the object whose path it is, and LD_LIBRARY_PATH comes after
# RPATH and before RUNPATH. Every case is also pinned to the expected path,
# so that sealexec and ldd cannot agree on something wrong (paths compared
# verbatim between the two, normalised against the expectation).
. "$TEST_LIB"
require_command ldd
require_command python3
unset LD_LIBRARY_PATH
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler"

d=$(cd "$WORK" && pwd -P)
mkdir "$d/bin" "$d/lib1" "$d/lib2" "$d/lib3" "$d/lib4"
printf 'int b(void) { return 0; }\n' >"$d/b.c"
printf 'int b(void);\nint a(void) { return b(); }\n' >"$d/a.c"
printf 'int a(void);\nint main(void) { return a(); }\n' >"$d/main.c"
# A libB.so with a unique name so that the system cannot supply one.
"$cc" -shared -fPIC -Wl,-soname,libsealexec-b.so -o "$d/lib2/libsealexec-b.so" "$d/b.c" || fail "libB"
cp "$d/lib2/libsealexec-b.so" "$d/lib3/libsealexec-b.so"
# libA, needing libB, with no search path (lib1), and with RUNPATH $ORIGIN/../lib3 (lib4).
"$cc" -shared -fPIC -Wl,-soname,libsealexec-a.so -o "$d/lib1/libsealexec-a.so" "$d/a.c" \
  -L"$d/lib2" -lsealexec-b || fail "libA"
"$cc" -shared -fPIC -Wl,-soname,libsealexec-a.so -o "$d/lib4/libsealexec-a.so" "$d/a.c" \
  -L"$d/lib2" -lsealexec-b -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/../lib3' || fail "libA with RUNPATH"
link() { # link NAME DTAGS SEARCH-PATH
  "$cc" -o "$d/bin/$1" "$d/main.c" -L"$d/lib1" -lsealexec-a -Wl,--allow-shlib-undefined \
    -Wl,"$2" -Wl,-rpath,"$3" || fail "cannot link $1"
}
link rpath --disable-new-dtags '$ORIGIN/../lib1:$ORIGIN/../lib2'
link runpath --enable-new-dtags '$ORIGIN/../lib1:$ORIGIN/../lib2'
link runpath-lib4 --enable-new-dtags '$ORIGIN/../lib4'
link rpath-lib4 --disable-new-dtags '$ORIGIN/../lib4:$ORIGIN/../lib2'
LC_ALL=C readelf -dW "$d/bin/rpath" | grep -q '(RPATH)' || fail "the linker wrote no DT_RPATH"
LC_ALL=C readelf -dW "$d/bin/runpath" | grep -q '(RUNPATH)' || fail "the linker wrote no DT_RUNPATH"

# compare LD_LIBRARY_PATH EXPECTED...: EXPECTED are PROGRAM:libsealexec-a-dir:libsealexec-b-dir
# (a dir of "-" means not found).
compare() {
  llp=$1
  shift
  python3 - "$SEALEXEC" "$d" "$llp" "$@" <<'PY'
import json, os, re, subprocess, sys
sealexec, d, llp, cases = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
env = {"PATH": "/usr/bin:/bin"}
if llp:
    env["LD_LIBRARY_PATH"] = llp
programs = [f"{d}/bin/{c.split(':')[0]}" for c in cases]
run = subprocess.run([sealexec, "check", "--deps", "--json", *programs], env=env, capture_output=True, text=True)
if run.returncode != 0:
    sys.exit(f"sealexec exited {run.returncode}: {run.stderr}")
ours = {f["path"]: f["closure"]["objects"] for f in json.loads(run.stdout)["files"]}
failed = False
for case, program in zip(cases, programs):
    _, a_dir, b_dir = case.split(":")
    expected = {"libsealexec-a.so": "not found" if a_dir == "-" else f"{d}/{a_dir}/libsealexec-a.so",
                "libsealexec-b.so": "not found" if b_dir == "-" else f"{d}/{b_dir}/libsealexec-b.so"}
    mine = {o["name"]: o["path"] or "not found" for o in ours[program][1:] if o["name"].startswith("libsealexec-")}
    out = subprocess.run(["ldd", program], env=env, capture_output=True, text=True).stdout
    theirs = {}
    for line in out.splitlines():
        m = re.match(r"\s+(libsealexec-\S+) => (not found|\S+)", line)
        if m:
            theirs[m.group(1)] = m.group(2)
    if mine != theirs:
        failed = True
        print(f"FAIL: {program} (LD_LIBRARY_PATH={llp!r}): sealexec {mine}, ldd {theirs}", file=sys.stderr)
    norm = lambda paths: {k: v if v == "not found" else os.path.normpath(v) for k, v in paths.items()}
    for who, got in (("sealexec", norm(mine)), ("ldd", norm(theirs))):
        if got != expected:
            failed = True
            print(f"FAIL: {program} (LD_LIBRARY_PATH={llp!r}): {who} resolves {got}, expected {expected}",
                  file=sys.stderr)
sys.exit(1 if failed else 0)
PY
}

# Without LD_LIBRARY_PATH:
#  rpath: libB through the program's RPATH, inherited by libA;
#  runpath: the program's RUNPATH does not serve libA's needs;
#  runpath-lib4 / rpath-lib4: libA's own RUNPATH, $ORIGIN being libA's
#  directory; with it, the program's RPATH is not used for libA's needs.
compare "" rpath:lib1:lib2 runpath:lib1:- runpath-lib4:lib4:lib3 rpath-lib4:lib4:lib3 \
  || fail "search order without LD_LIBRARY_PATH"
# LD_LIBRARY_PATH after RPATH, before RUNPATH.
compare "$d/lib3" rpath:lib1:lib2 runpath:lib1:lib3 runpath-lib4:lib4:lib3 \
  || fail "search order with LD_LIBRARY_PATH=lib3"
compare "$d/lib2:$d/lib4" rpath:lib1:lib2 runpath:lib4:lib2 runpath-lib4:lib4:lib2 rpath-lib4:lib4:lib2 \
  || fail "search order with LD_LIBRARY_PATH=lib2:lib4"
