// Feeds arbitrary bytes to the parser of the remote tier's high-water mark
// files (<cache>/remote/high-water/<xx>): whatever parses must be exactly
// what serialize_high_water writes for it, and within the shard's bound.
#include "sealexec/remote/high_water.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const auto bytes = std::as_bytes(std::span(data, size));
  if (const auto marks = remote::parse_high_water(bytes, "fuzz")) {
    const std::vector<std::byte> input(bytes.begin(), bytes.end());
    if (marks->size() > remote::k_high_water_per_shard ||
        remote::serialize_high_water(*marks) != input) {
      std::abort();
    }
  }
  return 0;
}
