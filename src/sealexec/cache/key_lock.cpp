#include "sealexec/cache/key_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace sealexec::cache {

Expected<KeyLock> KeyLock::acquire(const CacheDir& dir, const Sha256Digest& key) {
  SEALEXEC_TRY_ASSIGN(Fd locks, dir.subdirectory("locks"));
  std::string name = key.hex();
  const int fd = ::openat(locks.get(), name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
                          0600);
  if (fd < 0) {
    return fail(system_error("cannot create the lock file", dir.describe("locks/" + name),
                             "openat"));
  }
  Fd file(fd);
  while (::flock(file.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return fail(system_error("cannot lock", dir.describe("locks/" + name), "flock"));
    }
  }
  return KeyLock(std::move(locks), std::move(file), std::move(name));
}

KeyLock::~KeyLock() {
  if (m_file && m_directory) {
    ::unlinkat(m_directory.get(), m_name.c_str(), 0);
  }
}

} // namespace sealexec::cache
