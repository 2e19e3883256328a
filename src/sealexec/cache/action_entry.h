// The on-disk form of an action entry: what a key maps to. Small,
// self-describing and self-checking: a magic, a version, the fields, and an
// XXH3-128 checksum over all of it. Any damage makes parsing fail, and the
// cache then counts a miss. Integers are little-endian on every machine, so
// entries can travel (the remote tier).
#pragma once

#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::cache {

inline constexpr std::size_t k_max_fingerprint_size = 64 * 1024;
inline constexpr std::size_t k_max_description_size = 64 * 1024;
inline constexpr std::size_t k_max_action_entry_size = 256 * 1024;

struct ActionEntry {
  std::string fingerprint; // Fingerprint::canonical() of what produced it
  std::string description; // for people: what the entry came from
  Sha256Digest blob_sha256; // names the blob in the content-addressed store
  Xxh3Digest blob_xxh3;     // of the blob's content, checked on every load
  std::uint64_t size = 0;   // of the blob's content
  std::uint64_t created_unix_ns = 0;
  friend bool operator==(const ActionEntry&, const ActionEntry&) = default;
};

// The portable form (format version 1): the entry alone, as it travels
// through the remote tier, whose signed envelope binds it to its key.
[[nodiscard]] std::vector<std::byte> serialize(const ActionEntry& entry);

// The form stored in the local cache (format version 2): the entry bound to
// the key it is stored under, so that an entry file copied, swapped or
// renamed to another key's name is recognised as damage, never served.
[[nodiscard]] std::vector<std::byte> serialize_stored(const Sha256Digest& key,
                                                      const ActionEntry& entry);

// Parses either form. Errc::malformed, naming `name`, for anything else:
// wrong magic or version, fields out of bounds or over their limits,
// trailing bytes, or a checksum mismatch.
struct StoredEntry {
  ActionEntry entry;
  // The key a version-2 entry is bound to; nullopt for version 1, which is
  // bound to nothing (a cache from before binding, adopted: docs/cache.md).
  std::optional<Sha256Digest> key;
};
[[nodiscard]] Expected<StoredEntry> parse_stored_entry(std::span<const std::byte> bytes,
                                                       std::string_view name);

// parse_stored_entry for the portable form only (what the remote tier
// carries); a version-2 entry is refused, since its key is the envelope's.
[[nodiscard]] Expected<ActionEntry> parse_action_entry(std::span<const std::byte> bytes,
                                                       std::string_view name);

} // namespace sealexec::cache
