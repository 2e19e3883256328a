// An exclusive lock on one key, for producers: whoever holds it builds the
// entry while the others wait, then find it in the cache (check, lock,
// check again). flock(2) on locks/<key>: the kernel releases it when its
// holder dies, so a killed compile never leaves a lock that blocks anyone.
#pragma once

#include "sealexec/cache/cache_dir.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <string>

namespace sealexec::cache {

class KeyLock {
public:
  // Blocks until the lock on `key` is ours.
  [[nodiscard]] static Expected<KeyLock> acquire(const CacheDir& dir, const Sha256Digest& key);
  KeyLock(KeyLock&&) noexcept = default;
  KeyLock& operator=(KeyLock&&) noexcept = default;
  KeyLock(const KeyLock&) = delete;
  KeyLock& operator=(const KeyLock&) = delete;
  // Removes the lock file, then releases the lock. Waiters on the removed
  // file wake up, check the cache again and find what was published;
  // newcomers make a new file. Either way no one builds twice what was
  // published.
  ~KeyLock();

private:
  KeyLock(Fd directory, Fd file, std::string name)
      : m_directory(std::move(directory)), m_file(std::move(file)), m_name(std::move(name)) {}
  Fd m_directory;
  Fd m_file;
  std::string m_name;
};

} // namespace sealexec::cache
