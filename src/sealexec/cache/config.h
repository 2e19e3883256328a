// The cache's limits: defaults, then <cache>/cache.conf, then the
// environment, then command-line flags, each overriding the one before.
#pragma once

#include "sealexec/util/error.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace sealexec::cache {

struct CacheConfig {
  std::uint64_t max_size = std::uint64_t{5} << 30; // bytes of content kept
  std::uint64_t max_entries = 100'000;             // action entries kept
  // An automatic gc runs after about one put in this many, and looks at one
  // of the 256 shards, so a put never stalls on a whole-cache cleanup
  // (ccache #417). 0 turns it off.
  std::uint64_t gc_every = 64;
  bool compress = false; // store blobs as zstd frames (docs/cache.md)
  // How long a producer waits for another one building the same key (a
  // script's first compile) before it builds for itself: a holder that is
  // stopped must not block everyone for ever. Longer than the slowest
  // compile of a script measured here, under load (docs/scripts.md).
  std::chrono::milliseconds lock_timeout = k_default_lock_timeout;
  static constexpr std::chrono::milliseconds k_default_lock_timeout{60'000};
  // gc removes lock files older than an hour, so no wait can be longer.
  static constexpr std::chrono::milliseconds k_max_lock_timeout{3'600'000};
};

// Sizes: "1000", "64K", "512M", "5G" (powers of 1024), "1.5G".
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);

// Durations: "0", or a whole number with "ms" or "s": "250ms", "30s". At
// most `limit`; nullopt otherwise.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                                      std::chrono::milliseconds limit);

// Applies one `key = value` setting (keys: max_size, max_entries, gc_every,
// compression = none|zstd, lock_timeout = DURATION). Errc::invalid_argument names `source` and the
// key or value at fault.
[[nodiscard]] Expected<void> apply_setting(CacheConfig& config, std::string_view key,
                                           std::string_view value, std::string_view source);

// Settings of a layer above (the remote tier's) found in the same file:
// returns whether it knew `key`, or the error for a bad value.
using OtherSetting = std::function<Expected<bool>(std::string_view key, std::string_view value,
                                                  std::string_view where)>;

// Applies a cache.conf text: `key = value` lines, '#' comments, blank lines.
// Keys this layer does not know go to `other`, when given. Hostile input: a
// bad line is an error naming `source` and the line number.
[[nodiscard]] Expected<void> apply_config_file(CacheConfig& config, std::string_view text,
                                               std::string_view source,
                                               const OtherSetting& other = {});

} // namespace sealexec::cache
