// What a reader remembers of the remote, so that an old entry written back
// cannot roll a key back (docs/remote.md, "Rollback"). A reader fetches only
// on a local miss, and a local entry can go (evicted, removed, cleared,
// damaged): without a memory of its own, it would then accept any entry a
// trusted key ever signed for the key, an older one written back by someone
// without the key included. So each local cache keeps, per action key, the
// newest entry time (ActionEntry::created_unix_ns, which the writer signs)
// it has accepted from or written to a remote: its high-water mark. An
// entry older than the mark is refused.
//
// The marks live in <cache>/remote/high-water/<xx>, one file per shard of
// keys (xx: the key's first two hex digits, as in ac/xx), each the
// k_high_water_per_shard most recently raised marks of its shard, newest
// first: bounded (at most 256 small files) whatever gc does, which knows
// nothing of them. A file is written beside and renamed over (readers take
// no lock), raises take an flock on the directory (no raise is lost to a
// concurrent one), and a damaged or missing file holds no marks.
#pragma once

#include "sealexec/cache/cache_dir.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sealexec::remote {

// 512 keys per shard: about 131,000 keys in all, 20 KiB per file at most.
inline constexpr std::size_t k_high_water_per_shard = 512;

struct HighWater {
  Sha256Digest key;
  std::uint64_t newest_unix_ns = 0; // the newest entry time accepted or written
  friend bool operator==(const HighWater&, const HighWater&) = default;
};

// The mark that accepting or writing an entry made at `created_unix_ns`
// raises, at `now_unix_ns` on this machine's clock: never past that clock,
// so that a writer whose clock runs ahead cannot make the entries of the
// writers after it look old (they would be refused for as long as the mark
// is remembered).
[[nodiscard]] constexpr std::uint64_t mark_for(std::uint64_t created_unix_ns,
                                               std::uint64_t now_unix_ns) {
  return created_unix_ns < now_unix_ns ? created_unix_ns : now_unix_ns;
}

// The mark of `key` in `dir`; nullopt when there is none (never raised,
// forgotten, or its file is missing or damaged).
[[nodiscard]] std::optional<std::uint64_t> high_water(const cache::CacheDir& dir,
                                                      const Sha256Digest& key);

// Raises the mark of `key` to `unix_ns` (never lowers it) and makes it the
// shard's most recent; the shard's least recently raised marks are
// forgotten beyond `keep` (at most k_high_water_per_shard; tests use less).
// Durable once it returns.
[[nodiscard]] Expected<void> raise_high_water(const cache::CacheDir& dir, const Sha256Digest& key,
                                              std::uint64_t unix_ns,
                                              std::size_t keep = k_high_water_per_shard);

// The file format: a record (util/record.h) with magic "SEALXHW\n",
// version 1, a u32 count (at most k_high_water_per_shard) and that many
// (32-byte key, u64 time) pairs, most recently raised first.
[[nodiscard]] std::vector<std::byte> serialize_high_water(std::span<const HighWater> marks);
// Errc::malformed, naming `name`, for anything serialize_high_water could
// not have written.
[[nodiscard]] Expected<std::vector<HighWater>> parse_high_water(std::span<const std::byte> bytes,
                                                                std::string_view name);

} // namespace sealexec::remote
