// A second store below the local one, shared with other machines (the remote
// tier implements it; docs/remote.md). The cache asks it on a local miss and
// hands it every put. Everything it returns has been verified by it; the
// cache then publishes it locally like any put. It never fails a caller:
// whatever goes wrong is a miss, counted by the tier itself.
#pragma once

#include "sealexec/cache/action_entry.h"
#include "sealexec/cache/cache_dir.h"
#include "sealexec/util/digest.h"

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace sealexec::cache {

// An entry fetched from the shared tier, with its blob's content. The tier
// has checked the content against the entry's size, SHA-256 and XXH3-128,
// and the entry against the fingerprint asked for: the cache publishes it
// under those digests without computing them again.
struct SharedEntry {
  ActionEntry entry;
  std::vector<std::byte> content;
};

class SharedTier {
public:
  SharedTier() = default;
  SharedTier(const SharedTier&) = delete;
  SharedTier& operator=(const SharedTier&) = delete;
  virtual ~SharedTier() = default;

  // `dir` is always the cache the tier serves: the tier may keep there what
  // other processes should know (statistics, backends found failing).

  // The entry for `key` made by `fingerprint` (canonical form), if the tier
  // has a trustworthy one whose blob is at most `max_size` bytes.
  [[nodiscard]] virtual std::optional<SharedEntry> fetch(const CacheDir& dir,
                                                         const Sha256Digest& key,
                                                         std::string_view fingerprint,
                                                         std::uint64_t max_size) = 0;
  // Offers what the local store has just published.
  virtual void store(const CacheDir& dir, const Sha256Digest& key, const ActionEntry& entry,
                     std::span<const std::byte> content) = 0;
  // Adds this process's counts to the cache's statistics.
  virtual void flush_statistics(const CacheDir& dir) = 0;
  // Closes connections and stops helper processes: before exec replaces the
  // process, so that none of them outlives it or leaks into the program.
  virtual void disconnect() = 0;
};

} // namespace sealexec::cache
