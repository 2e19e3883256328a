// Where the shared tier lives (docs/remote.md): backend URLs, and which
// backend holds a key when there are several.
//
//   redis://[user:password@]host[:port][/db]     (port 6379, db 0 by default)
//   redis+unix:///path/to/socket[?db=N]
//   http://host[:port][/prefix]  https://...     (Bazel's /ac/ and /cas/ below prefix)
//
// URLs come from configuration files and the environment: hostile input,
// parsed with bounds and a fuzzer. Credentials in a URL never reach a
// message: display() masks the password.
#pragma once

#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::remote {

inline constexpr std::size_t k_max_url_size = 4096;
inline constexpr std::size_t k_max_backends = 64;

struct BackendUrl {
  enum class Scheme { redis, redis_unix, http, https };
  Scheme scheme = Scheme::redis;
  std::string host;      // without brackets for IPv6; empty for redis+unix
  std::uint16_t port = 0;
  std::string user;      // percent-decoded
  std::string password;  // percent-decoded
  unsigned db = 0;       // redis database number
  std::string socket;    // redis+unix: the socket's absolute path
  std::string prefix;    // http(s): "" or "/a/b", no trailing '/'
  std::string text;      // as given

  // The URL without its password, for messages and statistics.
  [[nodiscard]] std::string display() const;
  // What identifies the backend for rendezvous hashing: its display form,
  // so that machines with different passwords agree on placement.
  [[nodiscard]] const std::string& identity() const { return m_identity; }

  friend Expected<BackendUrl> parse_backend_url(std::string_view text);

private:
  std::string m_identity;
};

// Errc::invalid_argument naming the URL (password masked) and the fault.
[[nodiscard]] Expected<BackendUrl> parse_backend_url(std::string_view text);

// "URL[,URL...]" as in SEALEXEC_REMOTE; blanks around commas are ignored.
// The same backend twice is an error.
[[nodiscard]] Expected<std::vector<BackendUrl>> parse_backend_list(std::string_view text);

// Rendezvous (highest random weight) hashing: the index of the backend that
// holds `key`. Adding or removing one backend moves only the keys it gains
// or held. `backends` must not be empty.
[[nodiscard]] std::size_t pick_backend(const Sha256Digest& key,
                                       std::span<const BackendUrl> backends);

} // namespace sealexec::remote
