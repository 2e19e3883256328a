#include "sealexec/cache/publish.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace sealexec::cache {

Expected<TempFile> TempFile::create(const CacheDir& dir) {
  SEALEXEC_TRY_ASSIGN(Fd tmp_dir, dir.subdirectory("tmp"));
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::uint64_t random = 0;
    if (::getrandom(&random, sizeof random, 0) != sizeof random) {
      random ^= static_cast<std::uint64_t>(::getpid()) * std::uint64_t{0x9e3779b97f4a7c15} +
                static_cast<std::uint64_t>(attempt);
    }
    std::string name = fmt::format("{}.{:016x}.tmp", ::getpid(), random);
    const int fd = ::openat(tmp_dir.get(), name.c_str(),
                            O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      return TempFile(dir, std::move(tmp_dir), Fd(fd), std::move(name));
    }
    if (errno != EEXIST) {
      return fail(system_error("cannot create a temporary file in", dir.describe("tmp"),
                               "openat"));
    }
  }
  return fail(make_error(Errc::system, dir.describe("tmp"), "no unique temporary name found"));
}

TempFile::TempFile(TempFile&& other) noexcept
    : m_dir(other.m_dir), m_tmp_dir(std::move(other.m_tmp_dir)), m_fd(std::move(other.m_fd)),
      m_name(std::move(other.m_name)), m_done(other.m_done) {
  other.m_done = true;
}

TempFile::~TempFile() {
  if (!m_done && m_tmp_dir) {
    ::unlinkat(m_tmp_dir.get(), m_name.c_str(), 0);
  }
}

Expected<void> TempFile::finish() {
  // fsync before the rename: neither Wasmtime nor ccache does, and a crash
  // can then publish a name whose data never reached the disk.
  if (::fsync(m_fd.get()) != 0) {
    return fail(system_error("cannot flush", m_dir->describe("tmp/" + m_name), "fsync"));
  }
  if (::fchmod(m_fd.get(), 0444) != 0) {
    return fail(system_error("cannot make read-only", m_dir->describe("tmp/" + m_name), "fchmod"));
  }
  return m_fd.close();
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
  bool created = true;
  if (::linkat(m_tmp_dir.get(), m_name.c_str(), parent.get(), leaf.c_str(), 0) != 0) {
    if (errno != EEXIST) {
      return fail(system_error("cannot publish", m_dir->describe(relative), "linkat"));
    }
    created = false;
  }
  ::unlinkat(m_tmp_dir.get(), m_name.c_str(), 0);
  m_done = true;
  if (created) {
    SEALEXEC_TRY(sync_parent(relative));
  }
  return created;
}

Expected<void> TempFile::rename_over(std::string_view relative) {
  const std::size_t slash = relative.rfind('/');
  SEALEXEC_TRY_ASSIGN(const Fd parent, m_dir->subdirectory(relative.substr(0, slash)));
  const std::string leaf(relative.substr(slash + 1));
  if (::renameat(m_tmp_dir.get(), m_name.c_str(), parent.get(), leaf.c_str()) != 0) {
    return fail(system_error("cannot publish", m_dir->describe(relative), "renameat"));
  }
  m_done = true;
  return sync_parent(relative);
}

std::optional<int> temp_file_owner(std::string_view name) {
  if (!name.ends_with(".tmp")) {
    return std::nullopt;
  }
  int pid = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (error != std::errc{} || end == name.data() || *end != '.' || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

} // namespace sealexec::cache
