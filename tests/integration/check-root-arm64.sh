#!/bin/sh
# check --root for another architecture: an arm64 Debian 13 root, unpacked
# with debootstrap --foreign (nothing of it ever runs natively), checked on
# this x86_64 machine. The reference is the root's own aarch64 ld.so, run
# under qemu-user with the root as its prefix (`ld-linux-aarch64.so.1
# --list`), on every ELF program and shared object under the root's /usr:
# the closures must agree name for name and path for path. The root is made
# once (tests/glibc/make-root.sh, cached under build/); without root, the
# Debian mirror or qemu-user-static this scenario is skipped.
. "$TEST_LIB"
require_command python3
require_command qemu-aarch64-static
[ "$(id -u)" -eq 0 ] || skip "debootstrap needs root"
debian_root arm64
ldso=$root_dir/usr/lib/ld-linux-aarch64.so.1
[ -f "$ldso" ] || fail "the arm64 root has no $ldso"

python3 "$SOURCE_DIR/tests/integration/lib/root_objects.py" "$root_dir" 183 "$WORK/objects"
count=$(wc -l <"$WORK/objects")
[ "$count" -ge 100 ] || fail "only $count aarch64 ELF objects in $root_dir"

python3 - "$WORK/objects" "$SEALEXEC" "$root_dir" "$ldso" "$WORK" <<'PY'
import subprocess, sys
objects = [l.rstrip("\n") for l in open(sys.argv[1])]
sealexec, root, ldso, work = sys.argv[2:6]
env = {"PATH": "/usr/bin:/bin"}
with open(work + "/sealexec.json", "wb") as out, open(work + "/sealexec.err", "wb") as err:
    code = subprocess.call([sealexec, "check", "--root", root, "--deps", "--json", *objects],
                           env=env, stdout=out, stderr=err)
if code != 0:
    sys.stderr.write(open(work + "/sealexec.err").read())
    sys.exit(f"FAIL: check --root --deps --json exited {code}, expected 0")
# The target's loader, emulated: it opens every path under the root first
# (-L), exactly as it would on an arm64 machine booted from that root.
with open(work + "/ldd.txt", "wb") as out:
    for obj in objects:
        out.write(f"{obj}:\n".encode())
        out.flush()
        subprocess.call(["qemu-aarch64-static", "-L", root, ldso, "--list", obj], env=env,
                        stdout=out, stderr=subprocess.STDOUT, timeout=60)
PY
# The foreign root never ran ldconfig: check says so once, and searches the
# default directories only, as its ld.so does.
expect_file_contains "$WORK/sealexec.err" "/etc/ld.so.cache in $root_dir does not exist"
[ "$(wc -l <"$WORK/sealexec.err")" -eq 1 ] || fail "unexpected stderr: $(cat "$WORK/sealexec.err")"
# Run by hand, ld.so calls itself by the host path it was run as; on an
# arm64 machine booted from the root it is the programs' PT_INTERP.
python3 - "$WORK/ldd.txt" "$ldso" <<'PY'
import sys
text = open(sys.argv[1], "rb").read().replace(sys.argv[2].encode(), b"/lib/ld-linux-aarch64.so.1")
open(sys.argv[1], "wb").write(text)
PY
python3 "$SOURCE_DIR/tests/integration/lib/ldd_compare.py" "$WORK/objects" "$WORK/sealexec.json" \
  "$WORK/ldd.txt" 100 || fail "check --root's closures differ from the arm64 ld.so's own"

# Names are the root's, for the root's architecture.
grep -q '"path":"/lib/aarch64-linux-gnu/libc.so.6"' "$WORK/sealexec.json" ||
  fail "no aarch64 libc.so.6 under the root's own name"
grep -q '"glibc":"2.41"' "$WORK/sealexec.json" || fail "the arm64 root's glibc is not named 2.41"
echo "check --root agrees with the arm64 ld.so on $count objects"
