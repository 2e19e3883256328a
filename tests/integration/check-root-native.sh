#!/bin/sh
# check --root: closures inside a Debian 13 root file system equal what that
# root's own ldd lists (`chroot ROOT ldd`), for every ELF program and shared
# object under its /usr, name for name and path for path. Names are the
# root's own ("/usr/bin/ls", never "ROOT/usr/bin/ls"), its /etc/ld.so.cache
# is the one used, and nothing inside the root is run by check. The root is
# made once with debootstrap (tests/glibc/make-root.sh, cached under build/);
# without root or the Debian mirror this scenario is skipped.
. "$TEST_LIB"
require_command python3
[ "$(id -u)" -eq 0 ] || skip "chroot needs root"
debian_root amd64

python3 "$SOURCE_DIR/tests/integration/lib/root_objects.py" "$root_dir" 62 "$WORK/objects"
count=$(wc -l <"$WORK/objects")
[ "$count" -ge 100 ] || fail "only $count ELF objects in $root_dir"

# A file the root holds nowhere else: had check looked on this machine
# instead, the names and the cache would differ (the host is Debian 12).
python3 - "$WORK/objects" "$SEALEXEC" "$root_dir" "$WORK" <<'PY'
import subprocess, sys
objects = [l.rstrip("\n") for l in open(sys.argv[1])]
sealexec, root, work = sys.argv[2], sys.argv[3], sys.argv[4]
env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": "/nonexistent-host-path"}
with open(work + "/sealexec.json", "wb") as out, open(work + "/sealexec.err", "wb") as err:
    code = subprocess.call([sealexec, "check", "--root", root, "--deps", "--json", *objects],
                           env=env, stdout=out, stderr=err)
if code != 0:
    sys.stderr.write(open(work + "/sealexec.err").read())
    sys.exit(f"FAIL: check --root --deps --json exited {code}, expected 0")
with open(work + "/ldd.txt", "wb") as out:
    subprocess.call(["/usr/sbin/chroot", root, "/usr/bin/ldd", *objects], env={"PATH": "/usr/bin:/bin"},
                    stdout=out, stderr=subprocess.STDOUT)
PY
[ ! -s "$WORK/sealexec.err" ] || fail "check --root printed: $(head -3 "$WORK/sealexec.err")"
python3 "$SOURCE_DIR/tests/integration/lib/ldd_compare.py" "$WORK/objects" "$WORK/sealexec.json" \
  "$WORK/ldd.txt" 100 || fail "check --root's closures differ from the root's own ldd"

# The root's glibc is not this machine's: had check looked at /, libc.so.6
# would be the host's file (same path) but from another ld.so.cache entry
# list; a library only the root has proves the lookup went inside it.
only_in_root=$(python3 - "$root_dir" <<'PY'
import os, sys
root = sys.argv[1]
for d in ("usr/lib/x86_64-linux-gnu",):
    for name in sorted(os.listdir(os.path.join(root, d))):
        p = "/" + d + "/" + name
        if ".so." in name and not os.path.exists(p) and os.path.isfile(os.path.join(root, d, name)):
            print(p)
            sys.exit(0)
PY
)
[ -n "$only_in_root" ] || skip "every library of the root also exists on this machine"
expect_code 0 "$SEALEXEC" check --root "$root_dir" --deps "$only_in_root"
expect_file_contains "$WORK/out" "$only_in_root"
# The root's glibc, not this machine's (Debian 12: 2.36), decides which
# predictions apply.
expect_file_contains "$WORK/out" "(the checked system has glibc 2.41)"
expect_code 0 "$SEALEXEC" check --deps /bin/true
host_glibc=$(getconf GNU_LIBC_VERSION | sed 's/^glibc //')
expect_file_contains "$WORK/out" "(the checked system has glibc $host_glibc)"
expect_code 2 "$SEALEXEC" check --deps "$only_in_root"

# Symbolic links resolve inside the root, never on this machine: an absolute
# link and a ../ chain that climbs above the root both land inside it.
ln -sf /usr/bin/ls "$root_dir/tmp/sealexec-abs-link"
ln -sf ../../../../../../../../usr/bin/ls "$root_dir/tmp/sealexec-climb-link"
expect_code 0 "$SEALEXEC" check --root "$root_dir" --deps /tmp/sealexec-abs-link /tmp/sealexec-climb-link
rm -f "$root_dir/tmp/sealexec-abs-link" "$root_dir/tmp/sealexec-climb-link"
[ "$(grep -c 'libselinux.so.1 => /lib/x86_64-linux-gnu/libselinux.so.1' "$WORK/out")" -eq 2 ] ||
  fail "links did not resolve inside the root: $(cat "$WORK/out")"

# SARIF: locations are relative to the base id ROOTFS, which is the root
# directory, so a code-scanning reader finds the file checked, not this
# machine's file of the same name.
expect_code 0 "$SEALEXEC" check --root "$root_dir" --deps --sarif /usr/bin/ls
python3 - "$WORK/out" "$root_dir" <<'PY' || fail "SARIF under --root: $(head -c 600 "$WORK/out")"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
assert run["originalUriBaseIds"]["ROOTFS"]["uri"] == "file://" + sys.argv[2] + "/", run["originalUriBaseIds"]
for result in run["results"]:
    for loc in result["locations"]:
        art = loc["physicalLocation"]["artifactLocation"]
        assert art["uriBaseId"] == "ROOTFS" and not art["uri"].startswith(("/", "file:")), art
PY

# A relative operand is taken from the root's "/", and named as the root names it.
expect_code 0 "$SEALEXEC" check --root "$root_dir" usr/bin/ls
expect_file_contains "$WORK/out" " /usr/bin/ls"

# A device node in a hostile root is never opened for reading (a tape would
# rewind, a watchdog arm): only looked at through O_PATH.
if command -v strace >/dev/null 2>&1; then
  mkdir -p "$WORK/devroot/usr/lib"
  mknod "$WORK/devroot/usr/lib/libz.so" c 1 5
  strace -f -o "$WORK/strace" -e trace=openat2 "$SEALEXEC" check --root "$WORK/devroot" /usr/lib/libz.so \
    >"$WORK/out" 2>"$WORK/err" || true
  expect_file_contains "$WORK/err" "/usr/lib/libz.so: is not a regular file"
  grep '"/usr/lib/libz.so"' "$WORK/strace" | grep -qv O_PATH &&
    fail "the device node was opened: $(grep libz "$WORK/strace")"
fi

# Errors name the root: a missing directory, and a missing operand inside it.
expect_code 2 "$SEALEXEC" check --root "$WORK/no-such-root" /usr/bin/ls
expect_file_contains "$WORK/err" "no-such-root"
expect_code 2 "$SEALEXEC" check --root "$root_dir" /usr/bin/no-such-program
expect_file_contains "$WORK/err" "/usr/bin/no-such-program"
echo "check --root agrees with chroot ldd on $count objects"
