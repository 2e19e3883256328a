#include "sealexec/image/read_lease.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <pthread.h>
#include <signal.h>

namespace sealexec {

namespace {
// Sent when a writer breaks a lease: ignored by default, unlike SIGIO.
constexpr int k_lease_signal = SIGURG;
} // namespace

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
  if (::fcntl(fd, F_SETSIG, k_lease_signal) != 0) {
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
    // A writer that came meanwhile made the kernel send the lease's
    // signal. Ignored by default, it stays pending only where the caller
    // blocks it, and would then reach the program exec'd next: take it.
    sigset_t blocked;
    sigset_t pending;
    if (::pthread_sigmask(SIG_SETMASK, nullptr, &blocked) == 0 &&
        ::sigismember(&blocked, k_lease_signal) == 1 && ::sigpending(&pending) == 0 &&
        ::sigismember(&pending, k_lease_signal) == 1) {
      sigset_t lease_signal;
      ::sigemptyset(&lease_signal);
      ::sigaddset(&lease_signal, k_lease_signal);
      const timespec now{};
      ::sigtimedwait(&lease_signal, nullptr, &now);
    }
  }
}

} // namespace sealexec
