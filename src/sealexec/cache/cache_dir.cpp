#include "sealexec/cache/cache_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace sealexec::cache {

namespace {

bool is_safe_relative(std::string_view relative) {
  if (relative.empty() || relative.front() == '/') {
    return false;
  }
  std::size_t start = 0;
  while (start <= relative.size()) {
    const std::size_t slash = relative.find('/', start);
    const std::string_view part =
        relative.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                               : slash - start);
    if (part.empty() || part == "." || part == "..") {
      return false;
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return true;
}

// openat2 where the kernel has it; -1/ENOSYS otherwise.
int openat2_beneath(int dir, const std::string& relative, int flags, unsigned mode) {
  open_how how{};
  how.flags = static_cast<__u64>(static_cast<unsigned>(flags));
  how.mode = (flags & O_CREAT) != 0 ? static_cast<__u64>(mode) : 0;
  how.resolve = static_cast<__u64>(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  long fd = -1;
  do {
    fd = ::syscall(SYS_openat2, dir, relative.c_str(), &how, sizeof how);
  } while (fd < 0 && errno == EINTR);
  return static_cast<int>(fd);
}

} // namespace

Expected<std::filesystem::path> default_cache_dir(std::string_view override_dir,
                                                  std::string_view xdg_cache_home,
                                                  std::string_view home) {
  if (!override_dir.empty()) {
    return std::filesystem::path(override_dir);
  }
  if (!xdg_cache_home.empty() && xdg_cache_home.front() == '/') {
    return std::filesystem::path(xdg_cache_home) / "sealexec";
  }
  if (!home.empty()) {
    return std::filesystem::path(home) / ".cache" / "sealexec";
  }
  return fail(make_error(Errc::invalid_argument, "",
                         "no cache directory: set SEALEXEC_CACHE_DIR, XDG_CACHE_HOME or HOME"));
}

std::vector<DirEntry> list_directory(int fd) {
  std::vector<DirEntry> entries;
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  DIR* dir = copy >= 0 ? ::fdopendir(copy) : nullptr;
  if (dir == nullptr) {
    if (copy >= 0) {
      ::close(copy);
    }
    return entries;
  }
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    DirEntry item{.name = std::string(name)};
    if (::fstatat(fd, entry->d_name, &item.st, AT_SYMLINK_NOFOLLOW) == 0) {
      entries.push_back(std::move(item));
    }
  }
  ::closedir(dir);
  return entries;
}

Expected<void> check_private_directory(int fd, std::string_view name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(system_error("cannot inspect the cache directory", name, "fstat"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return fail(make_error(Errc::policy, name, "is not a directory"));
  }
  if (st.st_uid != ::geteuid()) {
    return fail(make_error(Errc::policy, name,
                           fmt::format("refused as a cache: it belongs to uid {}, not to you "
                                       "(uid {}), who could then replace what it holds",
                                       st.st_uid, ::geteuid())));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fail(make_error(Errc::policy, name,
                           fmt::format("refused as a cache: it is writable by its group or others "
                                       "(mode {:04o}); run chmod 700 on it",
                                       st.st_mode & 07777)));
  }
  return {};
}

Expected<CacheDir> CacheDir::open(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (::mkdir(name.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(system_error("cannot create the cache directory", name, "mkdir"));
  }
  const int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return fail(make_error(Errc::policy, name,
                             "refused as a cache: it is a symbolic link or not a directory"));
    }
    return fail(system_error("cannot open the cache directory", name, "open"));
  }
  Fd owned(fd);
  SEALEXEC_TRY(check_private_directory(owned.get(), name));
  return CacheDir(path, std::move(owned));
}

std::string CacheDir::describe(std::string_view relative) const {
  return (m_path / relative).string();
}

Expected<Fd> CacheDir::open_beneath(std::string_view relative, int flags, unsigned mode) const {
  if (!is_safe_relative(relative)) {
    return fail(make_error(Errc::invalid_argument, describe(relative),
                           "is not a plain path inside the cache"));
  }
  if (const std::size_t slash = relative.rfind('/'); slash != std::string_view::npos) {
    const std::string parent(relative.substr(0, slash));
    if (!m_checked_directories.contains(parent)) {
      SEALEXEC_TRY(walk(parent, false));
    }
  }
  const std::string text(relative);
  int fd = openat2_beneath(m_fd.get(), text, flags | O_CLOEXEC, mode);
  if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
    // Before 5.6 (or under a seccomp filter): walk the components without
    // following a link, then open the last one with O_NOFOLLOW.
    Fd dir(::fcntl(m_fd.get(), F_DUPFD_CLOEXEC, 0));
    std::size_t start = 0;
    for (std::size_t slash; (slash = text.find('/', start)) != std::string::npos;
         start = slash + 1) {
      const std::string part = text.substr(start, slash - start);
      const int next = ::openat(dir.get(), part.c_str(),
                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0) {
        return fail(system_error("cannot open", describe(relative), "openat"));
      }
      dir.reset(next);
    }
    fd = ::openat(dir.get(), text.substr(start).c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
  }
  if (fd < 0) {
    Error error = system_error("cannot open", describe(relative), "openat2");
    if (errno == ELOOP || errno == EXDEV) {
      error.code = Errc::malformed;
      error.reason = "refused: a symbolic link inside the cache";
    }
    return fail(std::move(error));
  }
  return Fd(fd);
}

Expected<Fd> CacheDir::subdirectory(std::string_view relative) const {
  if (!is_safe_relative(relative)) {
    return fail(make_error(Errc::invalid_argument, describe(relative),
                           "is not a plain path inside the cache"));
  }
  return walk(relative, true);
}

Expected<Fd> CacheDir::walk(std::string_view relative, bool create) const {
  // One component at a time from a directory already checked, so that a
  // planted symlink can neither be created through nor opened.
  Fd dir(::fcntl(m_fd.get(), F_DUPFD_CLOEXEC, 0));
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = relative.find('/', start);
    const std::string part(relative.substr(start, slash == std::string_view::npos
                                                      ? std::string_view::npos
                                                      : slash - start));
    const std::string so_far(relative.substr(0, slash));
    if (create && ::mkdirat(dir.get(), part.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(system_error("cannot create", describe(so_far), "mkdirat"));
    }
    const int next = ::openat(dir.get(), part.c_str(),
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        return fail(make_error(Errc::policy, describe(so_far),
                               "refused: a symbolic link or file where the cache expects a "
                               "directory"));
      }
      return fail(system_error("cannot open", describe(so_far), "openat"));
    }
    dir.reset(next);
    SEALEXEC_TRY(check_private_directory(dir.get(), describe(so_far)));
    m_checked_directories.insert(so_far);
    if (slash == std::string_view::npos) {
      return dir;
    }
    start = slash + 1;
  }
}

} // namespace sealexec::cache
