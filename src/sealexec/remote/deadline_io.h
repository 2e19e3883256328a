// Reading and writing a socket with a deadline for the whole operation, not
// per call: a server that trickles one byte a second must still be cut off
// when the operation's time is up.
#pragma once

#include "sealexec/util/error.h"

#include <chrono>
#include <cstddef>
#include <span>
#include <string_view>

namespace sealexec::remote {

class Deadline {
public:
  [[nodiscard]] static Deadline after(std::chrono::milliseconds budget) {
    return Deadline(std::chrono::steady_clock::now() + budget);
  }
  // Milliseconds left, rounded up, 0 once passed (for poll).
  [[nodiscard]] int remaining_ms() const;

private:
  explicit Deadline(std::chrono::steady_clock::time_point at) : m_at(at) {}
  std::chrono::steady_clock::time_point m_at;
};

// Writes everything to the non-blocking `fd` before `deadline`.
// Errc::timed_out when it passes; `peer` names the other side in errors.
[[nodiscard]] Expected<void> write_all_by(int fd, std::span<const std::byte> bytes,
                                          Deadline deadline, std::string_view peer);

// Reads what is available from the non-blocking `fd`, waiting until
// `deadline` for at least one byte. 0 means the peer closed.
[[nodiscard]] Expected<std::size_t> read_some_by(int fd, std::span<std::byte> buffer,
                                                 Deadline deadline, std::string_view peer);

} // namespace sealexec::remote
