#!/bin/sh
# image-fixture.sh BUILD_DIR OUT: a Debian 13 minbase image for the
# `check --image` row of make bench. OUT/image.tar is the minbase root
# (tests/glibc/make-root.sh, cached under build/roots) imported with podman as
# one layer and saved as a docker-archive; OUT/rootfs is the same files
# unpacked, for the `check --root -R` baseline. Exits non-zero (and the row
# says NOT MEASURED) without root, podman or the Debian mirror.
set -eu
build=${1:?usage: image-fixture.sh BUILD_DIR OUT}
out=${2:?usage: image-fixture.sh BUILD_DIR OUT}
here=$(cd "$(dirname "$0")" && pwd)
root_dir=$(cd "$build/.." && pwd)/roots/trixie-amd64
command -v podman >/dev/null 2>&1 || { echo "image-fixture: no podman" >&2; exit 1; }
"$here/../tests/glibc/make-root.sh" "$root_dir" amd64 || {
  echo "image-fixture: no Debian 13 root" >&2
  exit 1
}
mkdir -p "$out"
podman_() {
  podman --root "$out/storage" --runroot "$out/run" --storage-driver vfs "$@"
}
tar -C "$root_dir" --exclude=./.sealexec-root-stamp --exclude=./tmp -c . |
  podman_ import - localhost/sealexec-bench:minbase >/dev/null
podman_ save --format docker-archive -o "$out/image.tar" localhost/sealexec-bench:minbase >/dev/null
mkdir -p "$out/rootfs"
tar -C "$root_dir" --exclude=./.sealexec-root-stamp --exclude=./tmp -c . | tar -C "$out/rootfs" -x
podman_ rmi -a -f >/dev/null 2>&1 || true
rm -rf "$out/storage" "$out/run"
echo "image-fixture: $(du -sh "$out/image.tar" | cut -f1) docker-archive, rootfs $(du -sh "$out/rootfs" | cut -f1)"
