// Feeds arbitrary bytes to every parser of cache files: action entries, the
// statistics log and cache.conf.
#include "sealexec/cache/action_entry.h"
#include "sealexec/cache/config.h"
#include "sealexec/cache/stats.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  using namespace sealexec::cache;
  const auto bytes = std::as_bytes(std::span(data, size));
  if (const auto entry = parse_action_entry(bytes, "fuzz")) {
    // Whatever parses must serialize back to the same bytes.
    const auto again = serialize(*entry);
    if (again.size() != bytes.size() || !std::equal(again.begin(), again.end(), bytes.begin())) {
      std::abort();
    }
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_counters(text);
  CacheConfig config;
  (void)apply_config_file(config, text, "fuzz");
  (void)parse_size(text);
  return 0;
}
