#!/bin/sh
# make-root.sh DIR ARCH: a Debian 13 (trixie) root made with
# `debootstrap --variant=minbase`, built once and then reused.
#
#   ARCH amd64  a full root (both debootstrap stages): programs run in it
#               with `chroot DIR ...` on an x86_64 host.
#   ARCH arm64  `--foreign`: the packages are only unpacked (no second stage,
#               so no emulation and no /etc/ld.so.cache); a reference tree of
#               aarch64 ELF files and their directory layout.
#
# The stamp DIR/.sealexec-root-stamp is written last: a root without it (an
# interrupted build) is removed and built again. Concurrent calls for the same
# DIR wait for each other on DIR.lock.
#
# Exit status: 0 the root is ready; 77 it cannot be built here (not root, no
# debootstrap, the mirror unreachable), with a line starting "SKIPPED:" on
# stderr; 1 anything else (debootstrap itself failed).
#
# SEALEXEC_DEBIAN_MIRROR overrides the mirror taken from /etc/apt/sources.list*.
set -eu

suite=trixie
variant=minbase

skip() {
  echo "SKIPPED: cannot build the $suite root: $*" >&2
  exit 77
}
die() {
  echo "make-root.sh: $*" >&2
  exit 1
}

[ $# -eq 2 ] || die "usage: make-root.sh DIR amd64|arm64"
dir=$1
arch=$2
case $arch in
  amd64) foreign= ;;
  arm64) foreign=--foreign ;;
  *) die "ARCH must be amd64 or arm64, not '$arch'" ;;
esac
case $dir in
  "" | / | //*) die "refusing DIR '$dir'" ;;
esac

# The Debian mirror this machine's apt already uses (only Debian's own
# registry is reachable from the build machines): the first URI ending in
# /debian, in either the deb822 (URIs:) or the one-line (deb URI ...) format.
find_mirror() {
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk '
      /^[ \t]*#/ { next }
      $1 == "URIs:" { for (i = 2; i <= NF; i++) print $i; next }
      $1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i ~ /:\/\//) { print $i; break } }
    ' "$f"
  done | sed 's|/*$||' | grep -E '^https?://[^ ]+/debian$' | head -n 1
}
mirror=${SEALEXEC_DEBIAN_MIRROR:-$(find_mirror || true)}
mirror=${mirror:-http://deb.debian.org/debian}

stamp=$dir/.sealexec-root-stamp
# What the stamp records: a root made with other settings is made again.
config="suite=$suite variant=$variant arch=$arch foreign=${foreign:-no}"

stamp_ok() {
  [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$config" ]
}

if stamp_ok; then
  echo "make-root.sh: $dir: ready ($config, $(sed -n 2p "$stamp"))"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || skip "debootstrap needs root (uid $(id -u))"
command -v debootstrap >/dev/null 2>&1 || skip "debootstrap is not installed (make deps installs it)"
command -v flock >/dev/null 2>&1 || skip "flock (util-linux) is not installed"

mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
# Someone else may have finished it while this call waited for the lock.
if stamp_ok; then
  echo "make-root.sh: $dir: ready ($config, built by a concurrent call)"
  exit 0
fi

# debootstrap's dependency on wget makes it the probe: the same client, the
# same proxy settings, 20 s at most.
if ! wget -q -T 20 -t 1 -O /dev/null "$mirror/dists/$suite/Release" 2>/dev/null; then
  skip "the Debian mirror $mirror does not answer for dists/$suite/Release (no network?)"
fi

# An interrupted build: debootstrap's second stage mounts /proc and /sys in
# the target and a kill leaves them there. Unmount whatever is below DIR
# (deepest first) before removing it, and never cross into another file system.
if [ -e "$dir" ]; then
  echo "make-root.sh: $dir has no stamp (an interrupted or older build): removing it"
  real=$(realpath "$dir")
  awk -v root="$real" '$5 == root || index($5, root "/") == 1 { print $5 }' /proc/self/mountinfo |
    sort -r | while read -r m; do umount -l "$m" || true; done
  if awk -v root="$real" '$5 == root || index($5, root "/") == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
    die "$dir still has mounts below it; not removing it"
  fi
  rm -rf --one-file-system "$dir"
fi

echo "make-root.sh: debootstrap $foreign --arch=$arch --variant=$variant $suite $dir $mirror"
started=$(date +%s)
log=$dir.debootstrap.log
# shellcheck disable=SC2086 # $foreign is empty or one word
if ! debootstrap $foreign --arch="$arch" --variant="$variant" "$suite" "$dir" "$mirror" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  # debootstrap's own log names the package or step that failed.
  [ -f "$dir/debootstrap/debootstrap.log" ] && tail -n 20 "$dir/debootstrap/debootstrap.log" >&2
  die "debootstrap failed for $dir (full output in $log)"
fi
took=$(( $(date +%s) - started ))
echo "make-root.sh: debootstrap of $suite/$arch took ${took}s"

printf '%s\nbuilt %s from %s in %ss\n' "$config" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$mirror" "$took" >"$stamp.tmp"
mv "$stamp.tmp" "$stamp"
echo "make-root.sh: $dir: ready"
