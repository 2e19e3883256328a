// The header of a Redis bulk-string reply, "$<length>\r\n" ("$-1\r\n" for
// none). The Redis client parses it itself, so that a value is read straight
// into its final buffer and its digests computed while the rest of it is
// still arriving, instead of after hiredis has buffered and copied it
// (redis_client.h). Everything else is left to hiredis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sealexec::remote {

// "$", 20 digits, "\r\n", with room to spare: a longer header is malformed.
inline constexpr std::size_t k_max_bulk_header = 32;

struct BulkHeader {
  enum class Kind {
    incomplete, // more bytes needed
    value,      // `length` bytes and "\r\n" follow the header
    nil,        // no such key
    other,      // not a bulk string (an error reply, say): for hiredis
    malformed,
  };
  Kind kind = Kind::incomplete;
  std::size_t header_size = 0; // including "\r\n"
  std::uint64_t length = 0;
};

// Reads the header at the start of `received` (the first bytes of a reply).
[[nodiscard]] BulkHeader parse_bulk_header(std::span<const std::byte> received);

} // namespace sealexec::remote
