#include "sealexec/cache/key_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace sealexec::cache {

namespace {

using Clock = std::chrono::steady_clock;

// Polled rather than blocking: a blocking flock cannot be bounded without a
// signal (an alarm), and the library installs no signal handlers. The pause
// grows from 1 ms to 20 ms, so a lock released at once is taken at once and
// a long wait costs 50 wake-ups a second.
constexpr std::chrono::microseconds k_first_pause{1000};
constexpr std::chrono::microseconds k_longest_pause{20'000};

enum class Attempt { locked, busy, failed };

Attempt try_lock(int fd) {
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      return Attempt::locked;
    }
    if (errno == EINTR) {
      continue;
    }
    return errno == EWOULDBLOCK ? Attempt::busy : Attempt::failed;
  }
}

// Whether `name` in `directory` is still the file `fd` has open. The holder
// unlinks it before letting go, and gc removes old ones: a lock on a file
// without that name excludes no one.
bool still_named(int directory, const std::string& name, int fd) {
  struct stat held {};
  struct stat named {};
  return ::fstat(fd, &held) == 0 &&
         ::fstatat(directory, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
         held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

} // namespace

Expected<std::optional<KeyLock>> KeyLock::acquire(const CacheDir& dir, const Sha256Digest& key,
                                                  std::chrono::milliseconds timeout) {
  SEALEXEC_TRY_ASSIGN(Fd locks, dir.subdirectory("locks"));
  std::string name = key.hex();
  const auto deadline = Clock::now() + std::max(timeout, std::chrono::milliseconds(0));
  std::chrono::microseconds pause = k_first_pause;
  for (;;) {
    const int fd = ::openat(locks.get(), name.c_str(),
                            O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      return fail(system_error("cannot create the lock file", dir.describe("locks/" + name),
                               "openat"));
    }
    Fd file(fd);
    for (;;) {
      const Attempt attempt = try_lock(file.get());
      if (attempt == Attempt::failed) {
        return fail(system_error("cannot lock", dir.describe("locks/" + name), "flock"));
      }
      if (attempt == Attempt::locked) {
        break;
      }
      const auto now = Clock::now();
      if (now >= deadline) {
        return std::optional<KeyLock>();
      }
      std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, k_longest_pause);
    }
    if (still_named(locks.get(), name, file.get())) {
      return std::optional<KeyLock>(KeyLock(std::move(locks), std::move(file), std::move(name)));
    }
    // Locked a file that is no longer locks/<key>: let it go (closing it
    // releases the lock) and lock whatever the name holds now.
    if (Clock::now() >= deadline) {
      return std::optional<KeyLock>();
    }
  }
}

KeyLock::~KeyLock() {
  // Only our own file: if gc removed it and a newcomer made a new one, that
  // one is the newcomer's lock.
  if (m_file && m_directory && still_named(m_directory.get(), m_name, m_file.get())) {
    ::unlinkat(m_directory.get(), m_name.c_str(), 0);
  }
}

} // namespace sealexec::cache
