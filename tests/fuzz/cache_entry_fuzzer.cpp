// Feeds arbitrary bytes to every parser of cache files: action entries (both
// forms), the cache directory's tag, the statistics log and cache.conf.
#include "sealexec/cache/action_entry.h"
#include "sealexec/cache/cache_tag.h"
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
  if (const auto stored = parse_stored_entry(bytes, "fuzz")) {
    const auto again = stored->key ? serialize_stored(*stored->key, stored->entry)
                                   : serialize(stored->entry);
    if (again.size() != bytes.size() || !std::equal(again.begin(), again.end(), bytes.begin())) {
      std::abort();
    }
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A tag names a layout only if it is a cache tag at all, and what it names
  // is what the tag we write for that layout says.
  const CacheTag tag = parse_cache_tag(text);
  if (tag.sealexec_layout && !tag.is_cache_tag) {
    std::abort();
  }
  if (tag.sealexec_layout && parse_cache_tag(cache_tag_text(*tag.sealexec_layout)).sealexec_layout !=
                                 tag.sealexec_layout) {
    std::abort();
  }
  (void)parse_counters(text);
  CacheConfig config;
  (void)apply_config_file(config, text, "fuzz");
  (void)parse_size(text);
  return 0;
}
