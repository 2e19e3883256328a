// What the CLI and its HTTP helper (sealexec-remote-http) say to each other
// over a socket pair. HTTP goes through libcurl, which with its dependencies
// costs ~7 ms of dynamic loading per process here; the CLI is a static PIE
// that starts in well under 1 ms and must stay so for every run that never
// touches the remote. So, like git's git-remote-https, the libcurl code lives
// in a helper started only when a process needs an HTTP backend.
//
// Frames are fixed headers followed by sized payloads, little-endian. Both
// sides check every size against a limit before reading a byte of payload:
// the helper's answers carry a server's bytes.
#pragma once

#include "sealexec/remote/backend_client.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sealexec::remote {

inline constexpr std::size_t k_request_header_size = 54;
inline constexpr std::size_t k_response_header_size = 17;
inline constexpr std::size_t k_max_helper_message = 1024;
// Larger blobs are not shared (and the cache's own limit is lower by default).
inline constexpr std::uint64_t k_max_transfer_size = std::uint64_t{1} << 32;

struct HelperRequest {
  enum class Method : std::uint8_t { get = 1, head = 2, put = 3 };
  Method method = Method::get;
  Namespace space = Namespace::ac;
  Sha256Digest name;
  std::uint64_t max_size = 0;  // GET: a larger body is refused
  std::uint64_t body_size = 0; // PUT: the body follows the header
};

struct HelperResponse {
  enum class Outcome : std::uint8_t { found = 0, absent = 1, failed = 2, timed_out = 3, too_large = 4 };
  Outcome outcome = Outcome::failed;
  std::uint32_t message_size = 0; // why, for failures; follows the header
  std::uint64_t body_size = 0;    // GET: the body follows the message
};

[[nodiscard]] std::array<std::byte, k_request_header_size> encode(const HelperRequest& request);
[[nodiscard]] std::array<std::byte, k_response_header_size> encode(const HelperResponse& response);

// Errc::malformed for a header that is not one, or whose sizes are over
// their limits.
[[nodiscard]] Expected<HelperRequest> decode_request(std::span<const std::byte> header);
[[nodiscard]] Expected<HelperResponse> decode_response(std::span<const std::byte> header);

} // namespace sealexec::remote
