#!/bin/sh
# check --image: a container image read from its archive gives exactly what
# check --root gives on the same image unpacked by another tool (umoci), in
# every format podman writes (docker-archive, OCI archive, OCI directory;
# raw, gzip and zstd layers), with the image's own whiteouts applied: a
# library and a program deleted by a podman build step are absent, and a
# closure that needed the library says "not found". A hand-written layer adds
# an opaque directory and a hard link (podman's vfs driver writes neither).
# Hostile archives (names with "..", link loops, a hard link to nothing, a
# truncated archive, a gzip bomb, a wrong digest, a missing layer) are each
# one line on stderr and exit 2.
#
# The image is built from the Debian 13 minbase root (tests/glibc/make-root.sh,
# cached under build/) with podman, in storage of the test's own; `RUN` works
# with --isolation chroot. Without root, podman, umoci or the root: skipped.
. "$TEST_LIB"
require_command python3
require_command podman
require_command umoci
require_command zstd
[ "$(id -u)" -eq 0 ] || skip "podman import and umoci unpack need root here"
debian_root amd64
[ -e "$root_dir/usr/lib/x86_64-linux-gnu/libacl.so.1" ] || fail "the root has no libacl.so.1"
layout_py="$SOURCE_DIR/tests/integration/lib/oci_layout.py"

# --- a real two-layer image, saved in every format ---------------------------
podman_() {
  podman --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs "$@"
}
# file_error TEXT...: one line on stderr, about a file inside the image
# (the table's header and summary still go to stdout, as for any check).
file_error() {
  expect_lines "$WORK/err" 1
  for text in "$@"; do
    expect_file_contains "$WORK/err" "$text"
  done
}
tar -C "$root_dir" --exclude=./.sealexec-root-stamp -c . |
  podman_ import - localhost/sealexec-test:base >"$WORK/podman.log" 2>&1 ||
  { cat "$WORK/podman.log" >&2; fail "podman import failed"; }
mkdir "$WORK/context"
cat >"$WORK/context/Containerfile" <<'EOF'
FROM localhost/sealexec-test:base
RUN mkdir -p /opt/added && echo hello >/opt/added/file.txt && cp /usr/bin/true /opt/added/true-copy && rm /usr/lib/x86_64-linux-gnu/libacl.so.1 /usr/lib/x86_64-linux-gnu/libacl.so.1.* /usr/bin/dir && rm -rf /usr/share/doc && mkdir /usr/share/doc && echo new >/usr/share/doc/only-this
EOF
podman_ build --isolation chroot -t localhost/sealexec-test:layered "$WORK/context" \
  >"$WORK/podman.log" 2>&1 || { cat "$WORK/podman.log" >&2; skip "podman build cannot RUN here"; }
image=localhost/sealexec-test:layered
podman_ save --format docker-archive -o "$WORK/docker.tar" "$image" >/dev/null 2>&1
podman_ save --format oci-archive -o "$WORK/oci.tar" "$image" >/dev/null 2>&1
podman_ save --format oci-dir -o "$WORK/oci-dir" "$image" >/dev/null 2>&1
podman_ push --compression-format zstd "$image" "oci:$WORK/oci-zstd:layered" >/dev/null 2>&1
python3 - "$WORK" <<'PY'
import sys, os, json
work = sys.argv[1]
def magic(path): return open(path, "rb").read(4)
def layer_blobs(d):
    index = json.load(open(f"{d}/index.json"))
    manifest = json.load(open(f"{d}/blobs/sha256/" + index["manifests"][0]["digest"][7:]))
    return [magic(f"{d}/blobs/sha256/" + l["digest"][7:]) for l in manifest["layers"]]
# The formats must be what this test claims to cover.
assert all(m[:2] == b"\x1f\x8b" for m in layer_blobs(f"{work}/oci-dir")), "oci-dir not gzip"
assert all(m == b"\x28\xb5\x2f\xfd" for m in layer_blobs(f"{work}/oci-zstd")), "not zstd"
PY

# The reference: the same image unpacked by umoci, checked as a root.
umoci unpack --image "$WORK/oci-dir:$image" "$WORK/bundle" >/dev/null 2>&1 ||
  fail "umoci unpack failed"
expect_code 0 "$SEALEXEC" check --root "$WORK/bundle/rootfs" -R --deps --json /usr
cp "$WORK/out" "$WORK/unpacked.json"
count=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["checked"])' \
  "$WORK/unpacked.json")
[ "$count" -ge 100 ] || fail "only $count ELF files in the unpacked image"
for format in docker.tar oci.tar oci-dir oci-zstd; do
  expect_code 0 "$SEALEXEC" check --image "$WORK/$format" -R --deps --json /usr
  [ ! -s "$WORK/err" ] || fail "$format: check --image printed: $(head -3 "$WORK/err")"
  cmp -s "$WORK/out" "$WORK/unpacked.json" ||
    { diff "$WORK/out" "$WORK/unpacked.json" | head -20 >&2; fail "$format differs from the unpacked image"; }
done
# What the whiteouts removed is gone (and was there before).
for gone in /usr/bin/dir /usr/lib/x86_64-linux-gnu/libacl.so.1; do
  grep -qF "\"$gone\"" "$WORK/unpacked.json" && fail "$gone survived its whiteout"
  expect_code 2 "$SEALEXEC" check --image "$WORK/docker.tar" "$gone"
  expect_file_contains "$WORK/err" "$gone: cannot read: open: No such file or directory"
done
expect_code 0 "$SEALEXEC" check --root "$root_dir" /usr/bin/dir
expect_code 0 "$SEALEXEC" check --image "$WORK/oci.tar" --deps /usr/bin/cp /opt/added/true-copy
expect_file_contains "$WORK/out" "libacl.so.1 => not found"
expect_file_contains "$WORK/out" "/opt/added/true-copy"
# FILE:REF chooses by name; a wrong one is refused with the names there are.
expect_code 0 "$SEALEXEC" check --image "$WORK/docker.tar:sealexec-test:layered" /usr/bin/ls
expect_code 2 "$SEALEXEC" check --image "$WORK/oci-dir:nope" /usr/bin/ls
expect_error_line "sealexec: $WORK/oci-dir: index.json: holds no image named 'nope'" "$image"

# --- a hand-written third layer: opaque directory, whiteout, hard link -------
mkdir "$WORK/layers"
python3 - "$WORK/docker.tar" "$WORK/layers" "$root_dir" <<'PY'
import io, json, sys, tarfile
archive, out, root = sys.argv[1:]
with tarfile.open(archive) as t:
    manifest = json.load(t.extractfile("manifest.json"))
    for i, name in enumerate(manifest[0]["Layers"]):
        open(f"{out}/{i}.tar", "wb").write(t.extractfile(name).read())
def add(t, name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644):
    info = tarfile.TarInfo(name); info.type = kind; info.mode = mode; info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
true = open(f"{root}/usr/bin/true", "rb").read()
with tarfile.open(f"{out}/2.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "usr/share/doc", tarfile.DIRTYPE, mode=0o755)
    add(t, "usr/share/doc/.wh..wh..opq")
    add(t, "usr/share/doc/after-opaque", data=b"x\n")
    add(t, "usr/bin/.wh.mv")
    add(t, "opt/hand", tarfile.DIRTYPE, mode=0o755)
    add(t, "./opt/hand/true", data=true, mode=0o755)
    add(t, "opt/hand/true-link", tarfile.LNKTYPE, link="opt/hand/true")
    add(t, "opt/hand/" + "long-name-" * 12, data=true, mode=0o755)  # pax path
PY
gzip -k -9 "$WORK/layers/2.tar"
python3 "$layout_py" "$WORK/hand" hand "$WORK/layers/0.tar" "$WORK/layers/1.tar" "$WORK/layers/2.tar"
python3 "$layout_py" "$WORK/hand-gz" hand "$WORK/layers/0.tar" "$WORK/layers/1.tar" "$WORK/layers/2.tar.gz"
tar -C "$WORK/hand" -cf "$WORK/hand.tar" .
umoci unpack --image "$WORK/hand:hand" "$WORK/hand-bundle" >/dev/null 2>&1 || fail "umoci unpack (hand) failed"
[ ! -e "$WORK/hand-bundle/rootfs/usr/share/doc/only-this" ] || fail "umoci kept what the opaque dir hides"
expect_code 0 "$SEALEXEC" check --root "$WORK/hand-bundle/rootfs" -R --deps --json /usr /opt
cp "$WORK/out" "$WORK/hand-unpacked.json"
for format in hand hand.tar hand-gz; do
  expect_code 0 "$SEALEXEC" check --image "$WORK/$format" -R --deps --json /usr /opt
  cmp -s "$WORK/out" "$WORK/hand-unpacked.json" ||
    { diff "$WORK/out" "$WORK/hand-unpacked.json" | head -20 >&2; fail "$format differs from umoci's unpack"; }
done
expect_file_contains "$WORK/out" '"/opt/hand/true-link"'
expect_file_contains "$WORK/out" '"/opt/hand/long-name-long-name-'
grep -qF '"/usr/bin/mv"' "$WORK/out" && fail "/usr/bin/mv survived its whiteout"
expect_code 2 "$SEALEXEC" check --image "$WORK/hand" /usr/share/doc/only-this
expect_file_contains "$WORK/err" "No such file or directory"
# Content of a compressed layer that is not ELF was never kept, yet the
# file is there and is correctly "not ELF".
expect_code 2 "$SEALEXEC" check --image "$WORK/hand-gz" /usr/share/doc/after-opaque
file_error "sealexec: /usr/share/doc/after-opaque: " "is not an ELF file"

# --- hostile archives ---------------------------------------------------------
python3 - "$WORK" "$root_dir" <<'PY'
import io, sys, tarfile
work, root = sys.argv[1:]
true = open(f"{root}/usr/bin/true", "rb").read()
def layer(path, members):
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, data, link in members:
            info = tarfile.TarInfo(name); info.type = kind; info.linkname = link; info.mode = 0o755
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            t.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
R, S, L = tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
layer(f"{work}/climb.tar", [("bin/t", R, true, ""), ("../../etc/x", R, b"x", "")])
layer(f"{work}/links.tar", [("bin/t", R, true, ""), ("loop-a", S, b"", "/loop-b"),
                            ("loop-b", S, b"", "/loop-a"),
                            ("up/escape", S, b"", "../../../../../../bin/t"),
                            ("passwd", S, b"", "/etc/passwd")])
layer(f"{work}/hardlink.tar", [("bin/t", R, true, ""), ("bin/u", L, b"", "etc/missing")])
PY
for name in climb links hardlink; do
  python3 "$layout_py" "$WORK/$name" "$name" "$WORK/$name.tar"
done
expect_code 2 timeout 60 "$SEALEXEC" check --image "$WORK/climb" /bin/t
expect_error_line "sealexec: $WORK/climb: layer 1 (blobs/sha256/" "member '../../etc/x': its name climbs out of the image"
expect_code 2 timeout 60 "$SEALEXEC" check --image "$WORK/hardlink" /bin/t
expect_error_line "sealexec: $WORK/hardlink: layer 1 " "a hard link to 'etc/missing', which the image does not hold"
# Links resolve inside the image: a loop is ELOOP, a climb stops at its
# root, an absolute link never reaches this machine's /etc/passwd.
expect_code 2 timeout 60 "$SEALEXEC" check --image "$WORK/links" /loop-a
file_error "sealexec: /loop-a: " "Too many levels of symbolic links"
expect_code 0 timeout 60 "$SEALEXEC" check --image "$WORK/links" -R / /up/escape
expect_file_contains "$WORK/out" "/up/escape"
expect_code 2 timeout 60 "$SEALEXEC" check --image "$WORK/links" /passwd
file_error "sealexec: /passwd: " "No such file or directory"
# A truncated archive (cut inside a layer).
head -c 100000000 "$WORK/docker.tar" >"$WORK/truncated.tar"
expect_code 2 timeout 60 "$SEALEXEC" check --image "$WORK/truncated.tar" /usr/bin/ls
expect_error_line "sealexec: $WORK/truncated.tar: " "truncated"
# A gzip bomb: one member of 8 GiB of zeros, as concatenated gzip members
# (a few MB); refused once the bound (1 GiB for a small blob) is passed.
python3 - "$WORK/bomb.tar.gz" <<'PY'
import gzip, io, sys, tarfile
info = tarfile.TarInfo("zeros"); info.size = 8 << 30
header = info.tobuf(format=tarfile.GNU_FORMAT)
chunk = gzip.compress(bytes(64 << 20), 9)
with open(sys.argv[1], "wb") as f:
    f.write(gzip.compress(header, 9))
    for _ in range(128):
        f.write(chunk)
PY
python3 "$layout_py" "$WORK/bomb" bomb "$WORK/bomb.tar.gz"
expect_code 2 timeout 60 "$SEALEXEC" check --image "$WORK/bomb" /zeros
expect_error_line "sealexec: $WORK/bomb: layer 1 " "decompresses to more than 1073741824 bytes"
# A layer whose bytes are not those its manifest's digest names.
cp -r "$WORK/hand" "$WORK/tampered"
python3 - "$WORK/tampered" <<'PY'
import json, os, sys
d = sys.argv[1]
index = json.load(open(f"{d}/index.json"))
manifest = json.load(open(f"{d}/blobs/sha256/" + index["manifests"][0]["digest"][7:]))
path = f"{d}/blobs/sha256/" + manifest["layers"][2]["digest"][7:]
data = bytearray(open(path, "rb").read())
data[-1] ^= 1  # after the end-of-archive marker: the tar still parses
open(path, "wb").write(data)
PY
expect_code 2 timeout 60 "$SEALEXEC" check --image "$WORK/tampered" /usr/bin/ls
expect_error_line "sealexec: $WORK/tampered: layer 3 (blobs/sha256/" "but the manifest says sha256:"
# A manifest naming a layer the image does not hold.
cp -r "$WORK/hand" "$WORK/missing"
rm "$WORK/missing/blobs/sha256/$(python3 -c '
import json,sys; d=sys.argv[1]; i=json.load(open(d+"/index.json"))
m=json.load(open(d+"/blobs/sha256/"+i["manifests"][0]["digest"][7:])); print(m["layers"][1]["digest"][7:])' "$WORK/missing")"
expect_code 2 timeout 60 "$SEALEXEC" check --image "$WORK/missing" /usr/bin/ls
expect_error_line "sealexec: $WORK/missing: " "names layer 2"
# Not an image at all; --image with --root.
expect_code 2 "$SEALEXEC" check --image "$root_dir/usr/bin/ls" /usr/bin/ls
[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "more than one line: $(cat "$WORK/err")"
expect_code 2 "$SEALEXEC" check --image "$WORK/docker.tar" --root "$root_dir" /usr/bin/ls
expect_error_line "sealexec: check: " "--root and --image cannot be combined"
echo "check --image agrees with umoci's unpack on $count ELF files in 7 archive forms"
