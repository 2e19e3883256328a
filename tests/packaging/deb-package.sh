#!/bin/sh
# packaging.deb: make deb's package (scripts/make-deb.sh) of this build
#   1. is built, with root:root members, no writable-by-others modes,
#      stripped ELF files and archives, compressed man pages, a copyright
#      file and changelog.Debian.gz, and no path of another prefix;
#   2. passes lintian with no error (warnings are printed, not failed);
#   3. installs with apt into a Debian 12 root, its dependencies coming from
#      Debian 12 (the build machine's release), and works there: the CLI runs
#      a program from sealed memory, every dynamically linked file finds its
#      libraries, ld.so knows libsealexec.so.1, the Python package finds it,
#      the systemd unit names the installed CLI;
#   4. `dpkg -r` and then `dpkg -P` leave the root exactly as before the
#      install (the same paths, modes and owners; dpkg's and apt's own state
#      and logs aside), and dpkg no longer knows the package.
#
# Where: a Debian 12 (bookworm) minbase root made by debootstrap once and kept
# in build/roots/bookworm-amd64 (tests/glibc/make-root.sh, which makes the
# Debian 13 roots, run with its suite set to bookworm: the same lock, stamp
# and mirror), used through an overlay mount so that the kept root never
# changes and nothing touches the host's own /usr. A chroot rather than
# `dpkg --root`: apt resolves the real dependencies from the mirror, and the
# maintainer scripts, the ldconfig trigger and the programs run in a system
# that has only what the package declares. The .deb files apt downloads for
# it are kept in the root's apt cache, so later runs need no network.
#
# Skipped, loudly, under a sanitizer build, without dpkg-deb or lintian, and
# (after the lintian step) without root, debootstrap, overlayfs or the mirror.
# $debs, $debs_in_root and $packages are lists of words split on purpose
# (paths and package names have no spaces); '${Status}' is dpkg-query's.
# shellcheck disable=SC2086,SC2016
# shellcheck source=../integration/lib/common.sh
. "$TEST_LIB"

[ -z "${SANITIZE:-}" ] || skip "a sanitizer build ($SANITIZE): make deb packages release builds"
require_command dpkg-deb
require_command lintian
require_command file
require_command readelf

started=$(date +%s)
elapsed() {
  echo "$(( $(date +%s) - started ))s"
}

# 1. Build the package.
if ! "$SOURCE_DIR/scripts/make-deb.sh" "$BUILD_DIR" "$WORK/deb" >"$WORK/make-deb.out" 2>"$WORK/make-deb.err"; then
  cat "$WORK/make-deb.err" >&2
  fail "scripts/make-deb.sh $BUILD_DIR failed"
fi
debs=$(cat "$WORK/make-deb.out")
[ -n "$debs" ] || fail "make-deb.sh printed no package"
packages=
for deb in $debs; do
  [ -f "$deb" ] || fail "make-deb.sh printed '$deb', which is no file"
  packages="$packages $(dpkg-deb -f "$deb" Package)"
done
echo "built$(for deb in $debs; do printf ' %s (%s KiB)' "${deb##*/}" $(( $(stat -c %s "$deb") / 1024 )); done) in $(elapsed)"

for deb in $debs; do
  name=$(dpkg-deb -f "$deb" Package)
  for field in Maintainer Section Priority Description Version Architecture; do
    [ -n "$(dpkg-deb -f "$deb" "$field")" ] || fail "$name has no $field field"
  done
  dpkg-deb -c "$deb" >"$WORK/$name.contents"
  # Owner root/root, and nothing but symlinks writable by group or others.
  awk '$2 != "root/root" { print "owner: " $0 }
       substr($1, 1, 1) != "l" && (substr($1, 6, 1) == "w" || substr($1, 9, 1) == "w") { print "mode: " $0 }' \
    "$WORK/$name.contents" >"$WORK/bad-members"
  [ ! -s "$WORK/bad-members" ] || { cat "$WORK/bad-members" >&2; fail "$name has members with a wrong owner or mode"; }
  expect_file_contains "$WORK/$name.contents" "./usr/share/doc/$name/copyright"
  expect_file_contains "$WORK/$name.contents" "./usr/share/doc/$name/changelog.Debian.gz"
  ! grep -E ' \./usr/share/man/.*[^z]$| \./usr/share/man/.*[^.]gz$' "$WORK/$name.contents" | grep -v '/$' >&2 ||
    fail "$name has man pages that are not gzipped"
  ! grep -F './usr/local' "$WORK/$name.contents" >&2 || fail "$name installs under /usr/local"
  dpkg-deb -x "$deb" "$WORK/tree"
done
cat "$WORK"/*.contents >"$WORK/contents"
for path in ./usr/bin/sealexec ./usr/libexec/sealexec/sealexec-remote-http \
  ./usr/libexec/sealexec/sealexec-restore-env.so ./usr/lib/systemd/user/sealexec.service; do
  expect_file_contains "$WORK/contents" " $path"
done
# What this build has, its package has.
if [ -e "$BUILD_DIR/src/libsealexec.so.1" ]; then
  grep -qE ' \./usr/lib/([^/]+/)?libsealexec\.so\.1 ' "$WORK/contents" ||
    fail "the package lacks libsealexec.so.1"
fi
# Stripped: CMake strips programs and shared objects, stage.cmake archives.
find "$WORK/tree" -type f -exec file {} + >"$WORK/file-types"
! grep -E 'ELF.*not stripped|ELF.*with debug_info' "$WORK/file-types" >&2 || fail "unstripped ELF files"
find "$WORK/tree" -type f -name '*.a' | while read -r archive; do
  ! readelf -S "$archive" 2>/dev/null | grep -F '.debug_' >/dev/null || fail "$archive has debug sections"
done
# A /usr/local build is packaged under /usr: no text file names /usr/local.
! grep -rIlF /usr/local/ "$WORK/tree" >&2 || fail "text files in the package name /usr/local/"

# 2. Lintian: errors fail, warnings and overridden tags (O:, with the
# reason from dist/debian/*/lintian-overrides) are printed. Exit status 1 is
# lintian's own failure; 2 is --fail-on's, which overridden errors trigger
# too when they are shown, so the E: lines decide.
set +e
lintian --display-level '>=warning' --show-overrides $debs >"$WORK/lintian.txt" 2>"$WORK/lintian.err"
lintian_rc=$?
set -e
echo "lintian (exit $lintian_rc, $(elapsed)):"
sed 's/^/  /' "$WORK/lintian.txt"
[ $lintian_rc -eq 0 ] || [ $lintian_rc -eq 2 ] || { cat "$WORK/lintian.err" >&2; fail "lintian failed ($lintian_rc)"; }
! grep '^E:' "$WORK/lintian.txt" >/dev/null || fail "lintian errors (the E: lines above)"

# 3. Install into a Debian 12 root.
require_root "installing the package into a Debian 12 root (the build and lintian checks passed)"
require_command chroot
require_command mountpoint
root_dir=$(cd "$BUILD_DIR/.." && pwd)/roots/bookworm-amd64
sed 's/^suite=trixie$/suite=bookworm/' "$SOURCE_DIR/tests/glibc/make-root.sh" >"$WORK/make-root.sh"
grep -qx 'suite=bookworm' "$WORK/make-root.sh" ||
  fail "tests/glibc/make-root.sh no longer has the line suite=trixie to change into bookworm"
set +e
sh "$WORK/make-root.sh" "$root_dir" amd64 >"$WORK/make-root.log" 2>&1
root_rc=$?
set -e
[ $root_rc -ne 77 ] || skip "no Debian 12 root: $(grep SKIPPED "$WORK/make-root.log" | head -n 1)"
[ $root_rc -eq 0 ] || { cat "$WORK/make-root.log" >&2; fail "make-root.sh (bookworm) failed ($root_rc)"; }
echo "Debian 12 root ready ($(elapsed))"

root=$WORK/root
mkdir "$WORK/upper" "$WORK/overlay-work" "$root"
cleanup() {
  status=$?
  for m in "$root/proc" "$root"; do
    if mountpoint -q "$m" 2>/dev/null; then
      umount "$m" 2>/dev/null || umount -l "$m" || true
    fi
  done
  if mountpoint -q "$root" 2>/dev/null || mountpoint -q "$root/proc" 2>/dev/null; then
    echo "deb-package.sh: $root is still mounted; leaving $WORK" >&2
  else
    rm -rf --one-file-system "$WORK"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mount -t overlay overlay -o "lowerdir=$root_dir,upperdir=$WORK/upper,workdir=$WORK/overlay-work" "$root" \
  2>"$WORK/mount.err" || skip "cannot mount an overlay over the Debian 12 root: $(cat "$WORK/mount.err")"
mount -t proc proc "$root/proc"

in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}
# run_in_root LOG COMMAND...: fails the test, showing LOG, unless it succeeds.
run_in_root() {
  log=$1
  shift
  in_root "$@" >"$WORK/$log" 2>&1 || { cat "$WORK/$log" >&2; fail "in the root: $* failed"; }
}
# What the root holds: every path with its mode and owner, except dpkg's
# and apt's own state, logs and caches, and the mount points.
snapshot() {
  (cd "$root" && find . \( -path ./proc -o -path ./tmp -o -path ./run -o -path ./var/lib/dpkg \
      -o -path ./var/lib/apt -o -path ./var/cache -o -path ./var/log \) -prune \
      -o -printf '%p %M %U:%G\n') | LC_ALL=C sort >"$1"
}
# apt_get LOG ARGS...: apt-get in the root. Lists from an older point release
# (the root keeps debootstrap's) can name files the mirror no longer has:
# then `apt-get update` and once more. A mirror that cannot be reached skips.
apt_get() {
  log=$1
  shift
  in_root apt-get "$@" >"$WORK/$log" 2>&1 && return 0
  if grep -qE 'Failed to fetch|Unable to fetch|404 +Not Found|Temporary failure resolving|Could not resolve|Unable to locate package' "$WORK/$log"; then
    in_root apt-get update >"$WORK/apt-update.log" 2>&1 ||
      skip "the Debian mirror cannot be reached from the root: $(tail -n 1 "$WORK/apt-update.log")"
    in_root apt-get "$@" >"$WORK/$log" 2>&1 && return 0
  fi
  cat "$WORK/$log" >&2
  fail "in the root: apt-get $* failed"
}

debs_in_root=
for deb in $debs; do
  cp "$deb" "$root/tmp/"
  debs_in_root="$debs_in_root /tmp/${deb##*/}"
done
# The dependencies first, with `apt-get satisfy` on the packages' own
# Depends (less what names the packages themselves), so that the snapshot
# the removal is compared with is of a root that has them.
depends=
for deb in $debs; do
  dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/ *$//' | while read -r item; do
    [ -n "$item" ] || continue
    first=${item%% *}
    case " $packages " in *" $first "*) continue ;; esac
    printf '%s\n' "$item"
  done >>"$WORK/depends"
done
if [ -s "$WORK/depends" ]; then
  depends=$(LC_ALL=C sort -u "$WORK/depends" | paste -sd, - | sed 's/,/, /g')
  apt_get apt-depends.log satisfy -y --no-install-recommends "$depends"
fi
snapshot "$WORK/before"
apt_get apt-install.log install -y --no-install-recommends $debs_in_root
echo "installed in the Debian 12 root ($(elapsed)); Depends: ${depends:-none}"

for name in $packages; do
  expect_eq "$(in_root dpkg-query -W -f '${Status}' "$name")" "install ok installed" "dpkg status of $name"
  in_root dpkg -L "$name" >"$WORK/$name.files"
done
# The CLI: its version, and a program run from sealed memory.
run_in_root version.out /usr/bin/sealexec --version
version=$(dpkg-deb -f "$(echo $debs | tr ' ' '\n' | head -n 1)" Version)
expect_file_contains "$WORK/version.out" "${version%-*}"
run_in_root run.out /usr/bin/sealexec run /usr/bin/echo from-sealed-memory
expect_eq "$(cat "$WORK/run.out")" "from-sealed-memory" "sealexec run /usr/bin/echo in the root"
# Every dynamically linked file finds every library it needs.
cat "$WORK"/*.files | sort -u | while read -r path; do
  [ -f "$root$path" ] && [ ! -L "$root$path" ] || continue
  case $(file -b "$root$path") in *ELF*dynamically\ linked*|*ELF*shared\ object*) ;; *) continue ;; esac
  in_root ldd "$path" >"$WORK/ldd.out" 2>&1 || true
  ! grep -F 'not found' "$WORK/ldd.out" >&2 || fail "$path misses libraries in the root (the package's Depends)"
done
# Owned by root.
cat "$WORK"/*.files | sort -u | while read -r path; do
  [ -e "$root$path" ] || fail "dpkg -L names $path, which is not in the root"
  [ "$(stat -c %u:%g "$root$path")" = 0:0 ] || fail "$path is not owned by root:root"
done
if grep -q '/libsealexec\.so\.1$' "$WORK/contents"; then
  in_root ldconfig -p >"$WORK/ldconfig.out"
  expect_file_contains "$WORK/ldconfig.out" "libsealexec.so.1 "
fi
# The Python package is where /usr/bin/python3 looks, and finds the library.
install_py=$(cat "$WORK"/*.files | grep '/sealexec/_install\.py$' | head -n 1 || true)
if [ -n "$install_py" ]; then
  case $install_py in /usr/lib/python3/dist-packages/*) ;; *) fail "the Python package is at $install_py" ;; esac
  relative=$(sed -n 's/^LIBRARY_RELATIVE = "\(.*\)"$/\1/p' "$root$install_py")
  [ -n "$relative" ] && [ -f "$root${install_py%/*}/$relative" ] ||
    fail "$install_py: LIBRARY_RELATIVE '$relative' names no file in the root"
fi
# python3-sealexec pulls python3 in: the module loads the installed library
# and runs a program from sealed memory through it.
if in_root test -x /usr/bin/python3 && [ -n "$install_py" ]; then
  cat >"$root/tmp/binding.py" <<'PY'
import sealexec
print(sealexec.version())
with sealexec.Image.from_path("/usr/bin/echo", name="echo") as image:
    child = sealexec.spawn(image, ["echo", "from-python"], stdout=sealexec.PIPE)
    out, _ = child.communicate()
print(out.decode().strip())
PY
  run_in_root python.out python3 /tmp/binding.py
  expect_eq "$(cat "$WORK/python.out")" "$(printf '%s\nfrom-python' "${version%-*}")" "python3-sealexec in the root"
  echo "python3 -c 'import sealexec' runs a program from sealed memory in the root"
fi
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$root/usr/lib/systemd/user/sealexec.service")
[ -x "$root$exec_start" ] || fail "sealexec.service runs $exec_start, which is not installed"

# 4. Remove, then purge: the root is as before.
run_in_root dpkg-remove.log dpkg -r $packages
snapshot "$WORK/after-remove"
diff -u "$WORK/before" "$WORK/after-remove" >&2 || fail "dpkg -r left the root changed (above)"
run_in_root dpkg-purge.log dpkg -P $packages
snapshot "$WORK/after-purge"
diff -u "$WORK/before" "$WORK/after-purge" >&2 || fail "dpkg -P left the root changed (above)"
for name in $packages; do
  status=$(in_root dpkg-query -W -f '${Status}' "$name" 2>/dev/null || true)
  case $status in "" | "unknown ok not-installed" | "purge ok not-installed") ;;
    *) fail "after dpkg -P, dpkg says $name is '$status'" ;; esac
done
echo "removed and purged cleanly ($(elapsed))"

# Keep what apt downloaded for the next run (the kept root's apt cache; the
# overlay is unmounted first, as overlayfs wants its lower layer unchanged).
umount "$root/proc"
umount "$root"
if [ -d "$WORK/upper/var/cache/apt/archives" ]; then
  exec 9>"$root_dir.lock"
  flock 9
  find "$WORK/upper/var/cache/apt/archives" -maxdepth 1 -type f -name '*.deb' \
    -exec cp -n {} "$root_dir/var/cache/apt/archives/" \;
  exec 9>&-
fi
echo "packaging.deb passed in $(elapsed)"
