#!/usr/bin/env python3
"""Writes an OCI image layout directory from layer blobs, for check --image's tests.

    oci_layout.py OUT REF LAYER...

Each LAYER is a tar file stored as given (raw, .gz or .zst: the blob is the
file's bytes); its diff_id is the SHA-256 of the uncompressed tar (zstd
layers need the zstd command). OUT gets oci-layout, index.json (one
manifest, annotated with REF), the manifest, a config and the blobs, every
digest correct, so that a test can then damage exactly one thing.
"""
import gzip
import hashlib
import json
import os
import subprocess
import sys


def blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


# A diff_id is not worth inflating a decompression bomb for: past this, the
# layer gets an all-zero diff_id (sealexec checks OCI blobs by their digest).
DIFF_ID_LIMIT = 512 << 20


def diff_id(path, data):
    if data[:2] == b"\x1f\x8b":
        stream, media_type = gzip.open(path, "rb"), "application/vnd.oci.image.layer.v1.tar+gzip"
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        process = subprocess.Popen(["zstd", "-dc", path], stdout=subprocess.PIPE)
        stream, media_type = process.stdout, "application/vnd.oci.image.layer.v1.tar+zstd"
    else:
        return "sha256:" + hashlib.sha256(data).hexdigest(), "application/vnd.oci.image.layer.v1.tar"
    digest, total = hashlib.sha256(), 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        total += len(chunk)
        if total > DIFF_ID_LIMIT:
            return "sha256:" + "0" * 64, media_type
    return "sha256:" + digest.hexdigest(), media_type


def main():
    out, ref, layers = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    descriptors, diff_ids = [], []
    for path in layers:
        data = open(path, "rb").read()
        layer_diff_id, media_type = diff_id(path, data)
        diff_ids.append(layer_diff_id)
        descriptors.append({"mediaType": media_type, **blob(out, data)})
    config = {"architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": diff_ids}, "config": {}}
    config_descriptor = {"mediaType": "application/vnd.oci.image.config.v1+json",
                         **blob(out, json.dumps(config).encode())}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_descriptor, "layers": descriptors}
    manifest_descriptor = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           **blob(out, json.dumps(manifest).encode()),
                           "annotations": {"org.opencontainers.image.ref.name": ref}}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [manifest_descriptor]}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main()
