#include "sealexec/remote/deadline_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sealexec::remote {

int Deadline::remaining_ms() const {
  const auto left = m_at - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) {
    return 0;
  }
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

namespace {

// Waits until `fd` is ready for `events`; Errc::timed_out at the deadline.
Expected<void> wait_for(int fd, short events, Deadline deadline, std::string_view peer) {
  for (;;) {
    pollfd entry{.fd = fd, .events = events, .revents = 0};
    const int ready = ::poll(&entry, 1, deadline.remaining_ms());
    if (ready > 0) {
      return {};
    }
    if (ready == 0) {
      return fail(make_error(Errc::timed_out, peer, "timed out"));
    }
    if (errno != EINTR) {
      return fail(system_error("cannot wait for", peer, "poll"));
    }
  }
}

} // namespace

Expected<void> write_all_by(int fd, std::span<const std::byte> bytes, Deadline deadline,
                            std::string_view peer) {
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE
    // that kills the caller. (Not a socket? write() below.)
    ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == ENOTSOCK) {
      sent = ::write(fd, bytes.data(), bytes.size());
    }
    if (sent > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      SEALEXEC_TRY(wait_for(fd, POLLOUT, deadline, peer));
      continue;
    }
    return fail(system_error("cannot send to", peer, "send"));
  }
  return {};
}

Expected<std::size_t> read_some_by(int fd, std::span<std::byte> buffer, Deadline deadline,
                                   std::string_view peer) {
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got >= 0) {
      return static_cast<std::size_t>(got);
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return fail(system_error("cannot receive from", peer, "read"));
    }
    SEALEXEC_TRY(wait_for(fd, POLLIN, deadline, peer));
  }
}

} // namespace sealexec::remote
