// Optional zstd compression of blobs (cache.conf: compression = zstd).
// Off by default: on this machine level 3 shrinks executables 2.9x but
// decompresses at about 1 GB/s, half the speed of an uncompressed hit, and
// compresses at about 210 MB/s (docs/cache.md).
#pragma once

#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sealexec::cache {

inline constexpr int k_zstd_level = 3;

struct CompressedCopy {
  Sha256Digest sha256; // of the uncompressed content
  Xxh3Digest xxh3;     // of the uncompressed content
  std::uint64_t size = 0;
};

// Reads `source` to its end and writes it to `destination` as one zstd
// frame, hashing the uncompressed bytes on the way. Bounded memory; more
// than `max_size` bytes of content is Errc::too_large.
[[nodiscard]] Expected<CompressedCopy> compress_stream(int source, int destination,
                                                       std::string_view name,
                                                       std::uint64_t max_size);

// "<name>: is larger than the cache keeps (max_size N bytes)".
[[nodiscard]] Error too_large_to_store(std::string_view name, std::uint64_t max_size);

// The content of the zstd frame in `fd`, which must come to exactly
// `expected_size` bytes (the size the entry recorded); anything else is
// damage (Errc::malformed).
[[nodiscard]] Expected<std::vector<std::byte>> decompress_file(int fd,
                                                               std::uint64_t expected_size,
                                                               std::string_view name);

// The SHA-256 of the content of the zstd frame in `fd`, decompressed a
// buffer at a time (verify has no entry to size a buffer by). More than
// `limit` bytes of content is damage: a small file must not expand without
// end.
[[nodiscard]] Expected<Sha256Digest> decompressed_sha256(int fd, std::uint64_t limit,
                                                         std::string_view name);

} // namespace sealexec::cache
