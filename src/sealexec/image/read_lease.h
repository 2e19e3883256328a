// A read lease (fcntl F_SETLEASE, F_RDLCK) on a file being copied. The
// kernel grants one only while no process has the file open for writing
// (a writable shared mapping included), and while it is held, a process
// that opens the file for writing, or truncates it, waits until it is
// released. So a copy made under a lease is of a file nobody was in the
// middle of rewriting, however many writes the rewrite takes, and nobody
// can start one meanwhile.
//
// The caller must own the file or have CAP_LEASE (root), and the file
// system must support leases (local ones do; NFS does not).
#pragma once

#include "sealexec/util/fd.h"

namespace sealexec {

class ReadLease {
public:
  enum class State {
    held,        // nobody writes the file until release
    writers,     // someone has the file open for writing now
    unavailable, // not ours and no CAP_LEASE, no /proc, or no leases here
  };

  // Tries to take a lease on the file open as `fd`, read-only. With
  // Descriptor::shared (the caller's), through a descriptor of its own
  // (reopened through /proc/self/fd), so that the caller's open file is
  // left as it was; with Descriptor::ours, on `fd` itself (which stays
  // open: the lease is released, not the descriptor). A lease broken by a
  // writer signals SIGURG, which is ignored unless the process set a handler
  // for it, never the default SIGIO that would end the process.
  enum class Descriptor { ours, shared };
  [[nodiscard]] static ReadLease take(int fd, Descriptor descriptor);
  // No lease, not asked for.
  [[nodiscard]] static ReadLease none() { return ReadLease(-1, Fd(), State::unavailable); }
  ReadLease(ReadLease&& other) noexcept
      : m_fd(other.m_fd), m_owned(std::move(other.m_owned)), m_state(other.m_state) {
    other.m_state = State::unavailable;
  }
  ReadLease& operator=(ReadLease&&) = delete;
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;
  // Releases the lease: a writer waiting in open() goes on.
  ~ReadLease();

  [[nodiscard]] State state() const { return m_state; }
  // Held, and no writer has begun to break it: a writer that opens the file
  // waits at most lease-break-time (45 s by default) before it gets in.
  [[nodiscard]] bool still_held() const;

private:
  ReadLease(int fd, Fd owned, State state) : m_fd(fd), m_owned(std::move(owned)), m_state(state) {}
  int m_fd = -1;
  Fd m_owned; // a reopened descriptor, when the caller's was shared
  State m_state = State::unavailable;
};

} // namespace sealexec
