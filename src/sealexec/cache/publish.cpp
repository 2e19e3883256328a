#include "sealexec/cache/publish.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace sealexec::cache {

Expected<TempFile> TempFile::create(const CacheDir& dir) {
  SEALEXEC_TRY_ASSIGN(Fd tmp_dir, dir.subdirectory("tmp"));
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string name = unique_temp_name("put");
    const int fd = ::openat(tmp_dir.get(), name.c_str(),
                            O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) {
        continue;
      }
      return fail(system_error("cannot create a temporary file in", dir.describe("tmp"),
                               "openat"));
    }
    Fd file(fd);
    // Only a gc judging it could hold the lock of a file this new, and it
    // is then removing it: never wait for that (a gc stopped meanwhile would
    // stop us too), take another name.
    if (::flock(file.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        return fail(system_error("cannot lock a temporary file in", dir.describe("tmp"), "flock"));
      }
      continue;
    }
    // A gc could have judged the file abandoned in the moment between its
    // creation and our lock, and removed it: then start again with a new one.
    struct stat mine {};
    struct stat named {};
    if (::fstat(file.get(), &mine) != 0) {
      return fail(system_error("cannot inspect a temporary file in", dir.describe("tmp"), "fstat"));
    }
    if (::fstatat(tmp_dir.get(), name.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0 ||
        FileIdentity::of(named) != FileIdentity::of(mine)) {
      continue;
    }
    return TempFile(dir, std::move(tmp_dir), std::move(file), std::move(name),
                    FileIdentity::of(mine));
  }
  return fail(make_error(Errc::system, dir.describe("tmp"), "no unique temporary name found"));
}

TempFile::TempFile(TempFile&& other) noexcept
    : m_dir(other.m_dir), m_tmp_dir(std::move(other.m_tmp_dir)), m_fd(std::move(other.m_fd)),
      m_name(std::move(other.m_name)), m_identity(other.m_identity),
      m_renamed(other.m_renamed) {
  other.m_renamed = true;
}

TempFile::~TempFile() {
  // While we hold the lock nobody else removes the name, so it is ours.
  if (!m_renamed && m_tmp_dir) {
    ::unlinkat(m_tmp_dir.get(), m_name.c_str(), 0);
  }
}

Expected<void> TempFile::finish(Durability durability) {
  // fsync before the rename: neither Wasmtime nor ccache does, and a crash
  // can then publish a name whose data never reached the disk.
  if (durability == Durability::synced && ::fsync(m_fd.get()) != 0) {
    return fail(system_error("cannot flush", m_dir->describe("tmp/" + m_name), "fsync"));
  }
  if (::fchmod(m_fd.get(), 0444) != 0) {
    return fail(system_error("cannot make read-only", m_dir->describe("tmp/" + m_name), "fchmod"));
  }
  return {};
}

Expected<void> TempFile::sync_parent(std::string_view relative) const {
  const std::size_t slash = relative.rfind('/');
  const std::string parent(slash == std::string_view::npos ? std::string_view(".")
                                                           : relative.substr(0, slash));
  SEALEXEC_TRY_ASSIGN(const Fd dir, m_dir->subdirectory(parent));
  if (::fsync(dir.get()) != 0) {
    return fail(system_error("cannot flush the directory", m_dir->describe(parent), "fsync"));
  }
  return {};
}

Expected<bool> TempFile::link_if_absent(std::string_view relative) {
  const std::size_t slash = relative.rfind('/');
  SEALEXEC_TRY_ASSIGN(const Fd parent, m_dir->subdirectory(relative.substr(0, slash)));
  const std::string leaf(relative.substr(slash + 1));
  if (::linkat(m_tmp_dir.get(), m_name.c_str(), parent.get(), leaf.c_str(), 0) != 0) {
    if (errno != EEXIST) {
      return fail(system_error("cannot publish", m_dir->describe(relative), "linkat"));
    }
    return false;
  }
  SEALEXEC_TRY(sync_parent(relative));
  return true;
}

Expected<void> TempFile::rename_over(std::string_view relative, Durability durability) {
  const std::size_t slash = relative.rfind('/');
  SEALEXEC_TRY_ASSIGN(const Fd parent, m_dir->subdirectory(relative.substr(0, slash)));
  const std::string leaf(relative.substr(slash + 1));
  if (::renameat(m_tmp_dir.get(), m_name.c_str(), parent.get(), leaf.c_str()) != 0) {
    return fail(system_error("cannot publish", m_dir->describe(relative), "renameat"));
  }
  m_renamed = true;
  return durability == Durability::synced ? sync_parent(relative) : Expected<void>{};
}

} // namespace sealexec::cache
