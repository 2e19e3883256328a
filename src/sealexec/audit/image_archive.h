// Where an image's layers are in a saved container image: a `docker save`
// / `podman save --format docker-archive` tar (manifest.json), an OCI image
// layout directory (oci-layout, index.json, blobs/sha256/...), or an OCI
// archive (that layout in a tar). Archives must be uncompressed tars (what
// both tools write); the layers inside may be raw, gzip or zstd.
//
// Every JSON document is hostile: bounded in size and nesting, parsed
// without exceptions escaping, each field's type checked. A layer's digest
// is verified where the format gives one (an OCI descriptor's digest of the
// blob; a docker config's diff_id of the uncompressed layer).
#pragma once

#include "sealexec/audit/image_tree.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealexec::audit {

// Opens the image `spec` names: FILE, or FILE:REF when FILE holds several
// images (REF a tag as in RepoTags or the OCI ref.name annotation, whole or
// without its registry, or only the tag after ':'). FILE is tried whole
// first, so a file name with a colon needs no REF. Errors name FILE:
// Errc::malformed (damaged archive or JSON, a missing layer),
// Errc::invalid_argument (several images and no REF, or no such REF),
// Errc::system (cannot open).
[[nodiscard]] Expected<ImageLayers> open_image_layers(const std::string& spec);

// The parsers, for tests and fuzzers. `what` names the document in errors.

// A content descriptor of the OCI image spec.
struct Descriptor {
  std::string media_type;
  Sha256Digest digest;
  std::uint64_t size = 0;
  std::optional<std::string> ref_name; // org.opencontainers.image.ref.name
  std::optional<std::string> os;
  std::optional<std::string> architecture;
};

// The manifest to read from an image index (index.json or a nested index):
// the one whose ref name matches `ref` when given, then the first for
// linux/`architecture` (Go's names: amd64, arm64...), else the only one.
[[nodiscard]] Expected<Descriptor> choose_from_index(std::span<const std::byte> json,
                                                     const std::optional<std::string>& ref,
                                                     const std::string& architecture,
                                                     const std::string& what);
// An OCI image manifest's layers, bottom first; or an image index when
// `is_index` comes back true (mediaType says so).
struct OciManifest {
  bool is_index = false;
  std::vector<Descriptor> layers;
};
[[nodiscard]] Expected<OciManifest> parse_oci_manifest(std::span<const std::byte> json,
                                                       const std::string& what);

// One image of a docker-archive manifest.json, chosen by `ref` as above.
struct DockerImage {
  std::string config;              // path of the config inside the archive
  std::vector<std::string> layers; // paths, bottom first
};
[[nodiscard]] Expected<DockerImage> parse_docker_manifest(std::span<const std::byte> json,
                                                          const std::optional<std::string>& ref,
                                                          const std::string& what);
// The config's rootfs.diff_ids: each layer's SHA-256, uncompressed.
[[nodiscard]] Expected<std::vector<Sha256Digest>>
parse_docker_diff_ids(std::span<const std::byte> json, const std::string& what);

} // namespace sealexec::audit
