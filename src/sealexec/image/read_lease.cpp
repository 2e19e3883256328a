#include "sealexec/image/read_lease.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <cerrno>
#include <csignal>

namespace sealexec {

ReadLease ReadLease::take(int fd, Descriptor descriptor) {
  Fd owned;
  if (descriptor == Descriptor::shared) {
    const std::string self = fmt::format("/proc/self/fd/{}", fd);
    owned.reset(::open(self.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!owned) {
      return ReadLease(-1, Fd(), State::unavailable);
    }
    fd = owned.get();
  }
  if (::fcntl(fd, F_SETSIG, SIGURG) != 0) {
    return ReadLease(-1, Fd(), State::unavailable);
  }
  if (::fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
    return ReadLease(fd, std::move(owned), State::held);
  }
  // EAGAIN: open for writing somewhere. EACCES: neither ours nor CAP_LEASE.
  // EINVAL: a file system without leases.
  return ReadLease(-1, Fd(), errno == EAGAIN ? State::writers : State::unavailable);
}

bool ReadLease::still_held() const {
  // While a writer waits in open(), the lease is being broken and F_GETLEASE
  // reports the type it is being broken to (F_UNLCK), not F_RDLCK.
  return m_state == State::held && ::fcntl(m_fd, F_GETLEASE) == F_RDLCK;
}

ReadLease::~ReadLease() {
  if (m_state == State::held) {
    ::fcntl(m_fd, F_SETLEASE, F_UNLCK);
  }
}

} // namespace sealexec
