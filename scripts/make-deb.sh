#!/bin/sh
# make-deb.sh BUILD [OUTDIR]: the Debian packages of the build in BUILD (make
# deb: build/release), written to OUTDIR (default BUILD/deb); prints their
# paths, one a line:
#   sealexec           the CLI, its helpers, man pages, completions, units
#   libsealexec1       libsealexec.so.1
#   libsealexec-dev    headers, static library, pkg-config and CMake files
#   python3-sealexec   the Python binding
# (only the first and the third from a build without the shared library).
#
# CPack's DEB generator does the work (cmake/Packaging.cmake, with
# dist/debian/stage.cmake on the staged tree): BUILD is installed under /usr
# (whatever prefix it was configured with), stripped, split into packages,
# and given what Debian wants (copyright, changelog.Debian.gz, dependencies
# from dpkg-shlibdeps, a shlibs file and an ldconfig trigger for
# libsealexec.so.1). Members are owned by root:root without fakeroot.
# `sudo apt install ./build/release/deb/*.deb` installs them.
#
# BUILD must be built already (make deb builds it first) and must not be a
# sanitizer build: its programs would need the sanitizer runtimes and be
# slow, and the packages would not say so. Any build type packages;
# RelWithDebInfo (make build) loses its debug info to the stripping.
#
# Needs cpack (CPACK, else the cpack beside the build's cmake, else on PATH),
# dpkg-deb and dpkg-shlibdeps (dpkg-dev), file, readelf and objcopy
# (binutils), gzip. Exit status 0 with the .deb files written, 1 otherwise.
set -eu

die() {
  echo "make-deb.sh: $*" >&2
  exit 1
}

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: make-deb.sh BUILD [OUTDIR]"
build=$(cd "$1" 2>/dev/null && pwd) || die "no build directory '$1'"
out=${2:-$build/deb}
[ -f "$build/CPackConfig.cmake" ] ||
  die "$build has no CPackConfig.cmake: configure it first (make configure)"

cache_value() {
  sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"
}
sanitize=$(cache_value SEALEXEC_SANITIZE)
[ -z "$sanitize" ] ||
  die "$build is a sanitizer build ($sanitize); package a release build (make deb uses build/release)"

if [ -n "${CPACK:-}" ]; then
  cpack=$CPACK
else
  cmake=$(cache_value CMAKE_COMMAND)
  cpack=${cmake%/*}/cpack
  [ -x "$cpack" ] || cpack=cpack
fi
for tool in "$cpack" dpkg-deb dpkg-shlibdeps file readelf objcopy gzip; do
  command -v "$tool" >/dev/null 2>&1 || die "needs $tool (make deps installs it: dpkg-dev, binutils, file)"
done

# Files and directories the staging creates are not group- or world-writable
# whatever the caller's umask (stage.cmake sets every mode too).
umask 022
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/cpack.log
rm -f "$out"/*.deb
# cpack goes on after an error in a pre-build script (dist/debian/stage.cmake):
# its log is checked too.
if ! "$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$out" >"$log" 2>&1 ||
  grep -q '^CMake Error' "$log"; then
  tail -n 40 "$log" >&2
  die "cpack failed (full output in $log)"
fi
# The staging trees: kept only when something failed.
rm -rf "$out/_CPack_Packages"

found=0
for deb in "$out"/*.deb; do
  [ -f "$deb" ] || continue
  found=1
  echo "$deb"
done
[ $found -eq 1 ] || die "cpack wrote no .deb in $out (see $log)"
