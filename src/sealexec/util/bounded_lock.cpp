#include "sealexec/util/bounded_lock.h"

#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace sealexec {

Expected<bool> flock_within(int fd, int operation, std::chrono::milliseconds limit,
                            std::string_view path) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::max(limit, std::chrono::milliseconds(0));
  // From 1 ms up to 20 ms: a lock let go at once is taken at once, and a
  // long wait costs few wake-ups.
  std::chrono::milliseconds pause{1};
  for (;;) {
    if (::flock(fd, operation | LOCK_NB) == 0) {
      return true;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EWOULDBLOCK) {
      return fail(system_error("cannot lock", path, "flock"));
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

} // namespace sealexec
