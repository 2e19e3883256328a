// Feeds arbitrary bytes to the container image document parsers: an OCI
// image index (with and without a name to choose), an OCI manifest, a
// docker-archive manifest.json and an image config's diff_ids.
#include "sealexec/audit/image_archive.h"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const auto bytes = std::as_bytes(std::span(data, size));
  (void)audit::choose_from_index(bytes, std::nullopt, "amd64", "fuzz");
  (void)audit::choose_from_index(bytes, std::string("latest"), "arm64", "fuzz");
  (void)audit::parse_oci_manifest(bytes, "fuzz");
  (void)audit::parse_docker_manifest(bytes, std::nullopt, "fuzz");
  (void)audit::parse_docker_manifest(bytes, std::string("localhost/x:1"), "fuzz");
  (void)audit::parse_docker_diff_ids(bytes, "fuzz");
  return 0;
}
