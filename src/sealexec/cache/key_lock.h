// An exclusive lock on one key, for producers: whoever holds it builds the
// entry while the others wait, then find it in the cache (check, lock,
// check again). flock(2) on locks/<key>: the kernel releases it when its
// holder dies, so a killed compile never leaves a lock that blocks anyone.
//
// A holder that lives but never finishes (stopped by SIGSTOP or a debugger,
// in a frozen container) would block the others for ever, so a wait is
// bounded: after `timeout` the waiter gives up and builds for itself.
// Publishing is atomic, so two builds of one key are harmless.
#pragma once

#include "sealexec/cache/cache_dir.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <chrono>
#include <optional>
#include <string>

namespace sealexec::cache {

class KeyLock {
public:
  // The lock on `key`, waiting at most `timeout` for it (0: only if free
  // now); nullopt when the wait ran out. The lock is held on the file that
  // locks/<key> names at the moment it is taken: a waiter that locked a file
  // its holder (or gc) had already unlinked tries again, so two processes
  // never both hold the lock through the same name.
  [[nodiscard]] static Expected<std::optional<KeyLock>> acquire(const CacheDir& dir,
                                                                const Sha256Digest& key,
                                                                std::chrono::milliseconds timeout);
  KeyLock(KeyLock&&) noexcept = default;
  KeyLock& operator=(KeyLock&&) noexcept = default;
  KeyLock(const KeyLock&) = delete;
  KeyLock& operator=(const KeyLock&) = delete;
  // Removes the lock file, then releases the lock. Waiters on the removed
  // file wake up, find that the name is gone and lock a new file, then check
  // the cache again and find what was published; newcomers make a new file.
  // Either way no one builds twice what was published.
  ~KeyLock();

private:
  KeyLock(Fd directory, Fd file, std::string name)
      : m_directory(std::move(directory)), m_file(std::move(file)), m_name(std::move(name)) {}
  Fd m_directory;
  Fd m_file;
  std::string m_name;
};

} // namespace sealexec::cache
