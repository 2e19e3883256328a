// One remote backend, as the tier sees it: a store of named byte strings in
// two namespaces, Bazel's "ac" (action entries) and "cas" (blobs named by
// their SHA-256). Implementations bound every wait by the timeouts they were
// made with and never trust what the server sends: a reply over `max_size`
// is an error, not an allocation.
#pragma once

#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sealexec::remote {

enum class Namespace { ac, cas };

[[nodiscard]] std::string_view namespace_name(Namespace space);

struct Timeouts {
  std::chrono::milliseconds connect{100};
  std::chrono::milliseconds operation{2000};
};

class BackendClient {
public:
  BackendClient() = default;
  BackendClient(const BackendClient&) = delete;
  BackendClient& operator=(const BackendClient&) = delete;
  virtual ~BackendClient() = default;

  // Sees the bytes of a value as they arrive: every byte of what get()
  // returns, in order, exactly once (and maybe bytes of a get that then
  // fails). The tier hashes a blob with it while the rest is on the wire.
  using BodyObserver = std::function<void(std::span<const std::byte>)>;

  // The stored bytes, nullopt when the server has none. Errc::timed_out when
  // a timeout ran out, Errc::too_large over `max_size`, anything else for a
  // failure of the connection or the server.
  [[nodiscard]] virtual Expected<std::optional<std::vector<std::byte>>> get(
      Namespace space, const Sha256Digest& name, std::size_t max_size,
      const BodyObserver& observe) = 0;
  [[nodiscard]] Expected<std::optional<std::vector<std::byte>>> get(Namespace space,
                                                                    const Sha256Digest& name,
                                                                    std::size_t max_size) {
    return get(space, name, max_size, BodyObserver());
  }
  // Whether the server has the name (to skip uploading a blob it has).
  [[nodiscard]] virtual Expected<bool> contains(Namespace space, const Sha256Digest& name) = 0;
  [[nodiscard]] virtual Expected<void> put(Namespace space, const Sha256Digest& name,
                                           std::span<const std::byte> content) = 0;
};

} // namespace sealexec::remote
