// The memory tier's server (`sealexec serve`, docs/serve.md): holds sealed
// memfds offered by clients of its own user and hands them out again.
//
// One request per connection (image/tier_protocol.h). Offers are verified
// before anything is served from them: the memfd must carry the image seals,
// have the key's size, mode and name, and its bytes must hash to the digest
// claimed; the hashing runs on a worker thread so that finds are answered
// meanwhile. Memory is bounded by `memory_limit`, least recently used images
// going first. A connection from another uid (SO_PEERCRED) is closed
// unanswered.
#pragma once

#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace sealexec {

struct TierServerOptions {
  std::uint64_t memory_limit = 0; // 0: default_tier_memory_limit()
  // Exit after this long without a connection; zero: never.
  std::chrono::seconds idle_timeout{600};
  // When set, exit as soon as this path no longer names the socket being
  // served (someone removed it, or another server took its place).
  std::string watched_socket;
  // Remove watched_socket on the way out (the server bound it itself).
  bool remove_socket_on_exit = false;
  // At most this many images (each holds a descriptor).
  std::size_t max_images = 4096;
};

// An eighth of the machine's memory: images live in shmem, which, with no
// swap, nothing but eviction gives back.
[[nodiscard]] std::uint64_t default_tier_memory_limit();

class TierServer {
public:
  // `listener`: a listening SOCK_SEQPACKET unix socket. `stop`: a descriptor
  // that becomes readable when the server must stop (a signalfd), or -1.
  TierServer(Fd listener, int stop, TierServerOptions options);
  TierServer(TierServer&&) noexcept;
  ~TierServer();

  // Serves until stopped or idle. Fails only when the listener does.
  [[nodiscard]] Expected<void> run();

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace sealexec
