#include "sealexec/cache/cache_dir.h"

#include "sealexec/cache/cache_tag.h"
#include "sealexec/cache/legacy_layout.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/random.h>

#include <algorithm>
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

// Directories that are never a cache, even when empty or ours by mistake:
// the system's own, where a cache would mix with what the system keeps.
constexpr std::string_view k_system_directories[] = {
    "/",          "/bin",      "/boot",     "/dev",      "/etc",       "/home",
    "/lib",       "/lib32",    "/lib64",    "/libx32",   "/media",     "/mnt",
    "/opt",       "/proc",     "/root",     "/run",      "/sbin",      "/srv",
    "/sys",       "/tmp",      "/usr",      "/var",      "/usr/bin",   "/usr/lib",
    "/usr/local", "/usr/sbin", "/usr/share", "/var/cache", "/var/lib", "/var/log",
    "/var/tmp",   "/dev/shm",  "/run/user", "/var/opt",  "/var/local", "/var/mail",
    "/var/spool", "/var/backups", "/var/www", "/snap", "/nix"};

// `path` made absolute and normal, without a trailing slash.
std::filesystem::path normal_absolute(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) {
    absolute = path;
  }
  std::string text = absolute.lexically_normal().string();
  while (text.size() > 1 && text.back() == '/') {
    text.pop_back();
  }
  return text;
}

Expected<void> check_not_refused(const std::filesystem::path& path, std::string_view name,
                                 std::span<const std::filesystem::path> refused) {
  const std::filesystem::path normal = normal_absolute(path);
  const std::string text = normal.string();
  auto refuse = [&](std::string_view why) {
    return fail(make_error(Errc::policy, name,
                           fmt::format("refused as a cache: {} is {}; point SEALEXEC_CACHE_DIR or "
                                       "--dir at a directory of its own",
                                       text, why)));
  };
  for (const std::string_view system : k_system_directories) {
    if (text == system) {
      return refuse("a system directory");
    }
  }
  // Pseudo file systems: what looks like a directory there is the kernel's.
  if (text.starts_with("/proc/") || text.starts_with("/sys/") ||
      (text.starts_with("/dev/") && !text.starts_with("/dev/shm/"))) {
    return refuse("inside /proc, /sys or /dev");
  }
  // The system's own software and data, which its package manager owns.
  if (text.starts_with("/usr/") || text.starts_with("/boot/") || text.starts_with("/etc/")) {
    return refuse("inside /usr, /boot or /etc");
  }
  if (normal.filename() == "lost+found") {
    return refuse("a file system's lost+found");
  }
  for (const std::filesystem::path& other : refused) {
    if (!other.empty() && normal_absolute(other) == normal) {
      return refuse("your home directory");
    }
  }
  return {};
}

// Creates `path` and the missing directories above it, 0700 each (as the
// XDG specification asks for its base directories). Refuses to create one
// inside a directory that belongs to someone else than us or root: root with
// another user's HOME would otherwise leave a root-owned ~/.cache that breaks
// that user's own programs.
Expected<void> create_cache_directory(const std::filesystem::path& path) {
  const std::filesystem::path target = normal_absolute(path);
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path at = target;; at = at.parent_path()) {
    struct stat st {};
    if (::lstat(at.c_str(), &st) == 0) {
      break;
    }
    if (errno != ENOENT || at == at.parent_path()) {
      return fail(system_error("cannot create the cache directory", path.string(), "lstat"));
    }
    missing.push_back(at);
  }
  const uid_t me = ::geteuid();
  // A link on the way that belongs to someone else decides where the cache
  // goes: root with another user's HOME, whose ~/.cache points at /etc,
  // would create /etc/sealexec. Such a link is not followed to create.
  std::filesystem::path walked("/");
  for (const auto& part : target.relative_path()) {
    walked /= part;
    struct stat st {};
    if (::lstat(walked.c_str(), &st) != 0) {
      break;
    }
    if (S_ISLNK(st.st_mode) && st.st_uid != me && st.st_uid != 0) {
      return fail(make_error(
          Errc::policy, path.string(),
          fmt::format("refused: creating it would follow {}, a symbolic link that belongs to uid "
                      "{}; create the cache yourself, or set SEALEXEC_CACHE_DIR or "
                      "XDG_CACHE_HOME to a directory of yours",
                      walked.string(), st.st_uid)));
    }
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    const std::filesystem::path parent = it->parent_path();
    struct stat st {};
    if (::stat(parent.c_str(), &st) != 0) {
      return fail(system_error("cannot create the cache directory", it->string(), "stat"));
    }
    if (st.st_uid != me && st.st_uid != 0) {
      return fail(make_error(
          Errc::policy, path.string(),
          fmt::format("refused: creating it would create {} inside {}, which belongs to uid {}, "
                      "and sealexec never creates files in another user's directory; create it "
                      "yourself, or set SEALEXEC_CACHE_DIR or XDG_CACHE_HOME to a directory of "
                      "yours",
                      it->string(), parent.string(), st.st_uid)));
    }
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(system_error("cannot create the cache directory", it->string(), "mkdir"));
    }
  }
  return {};
}

// What a directory's top level may hold when it is a sealexec cache.
bool is_layout_name(std::string_view name) {
  for (const std::string_view known :
       {"ac", "cas", "tmp", "locks", "stats", "quarantine", "remote"}) {
    if (name == known) {
      return true;
    }
  }
  return false;
}

// A tag being written: "CACHEDIR.TAG.<16 hex>.tmp".
bool is_tag_temp_name(std::string_view name) {
  constexpr std::string_view k_prefix = "CACHEDIR.TAG.";
  constexpr std::string_view k_suffix = ".tmp";
  if (name.size() != k_prefix.size() + 16 + k_suffix.size() || !name.starts_with(k_prefix) ||
      !name.ends_with(k_suffix)) {
    return false;
  }
  for (const char c : name.substr(k_prefix.size(), 16)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

// Whether the cache.conf in `dir` is a small file of "key = value" lines
// (lowercase keys; blank lines and '#' comments), as sealexec's are: a
// cache directory made ready with its settings before its first use.
bool holds_settings_only(int dir) {
  const Fd file(::openat(dir, "cache.conf", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  constexpr std::size_t k_limit = 64 * 1024;
  std::string text(k_limit + 1, '\0');
  const ssize_t got = file ? ::read(file.get(), text.data(), text.size()) : -1;
  if (got < 0 || static_cast<std::size_t>(got) > k_limit) {
    return false;
  }
  text.resize(static_cast<std::size_t>(got));
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      line.remove_prefix(1);
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const std::size_t equals = line.find('=');
    std::string_view key = line.substr(0, equals);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) {
      key.remove_suffix(1);
    }
    if (equals == std::string_view::npos || key.empty() ||
        !std::ranges::all_of(key, [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; })) {
      return false;
    }
  }
  return true;
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
  // The copy shares its position with `fd`: start from the top, whatever an
  // earlier listing of the same descriptor left it at.
  ::rewinddir(dir);
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

Expected<CacheDir> CacheDir::open(const std::filesystem::path& path,
                                  std::span<const std::filesystem::path> refused) {
  const std::string name = path.string();
  SEALEXEC_TRY(check_not_refused(path, name, refused));
  int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    SEALEXEC_TRY(create_cache_directory(path));
    fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return fail(make_error(Errc::policy, name,
                             "refused as a cache: it is a symbolic link or not a directory"));
    }
    return fail(system_error("cannot open the cache directory", name, "open"));
  }
  Fd owned(fd);
  SEALEXEC_TRY(check_private_directory(owned.get(), name));
  CacheDir dir(path, std::move(owned));
  dir.m_refused.assign(refused.begin(), refused.end());
  SEALEXEC_TRY(dir.recognise());
  return dir;
}

Expected<std::optional<CacheTag>> CacheDir::read_tag() const {
  const int fd = ::openat(m_fd.get(), std::string(k_cache_tag_name).c_str(),
                          O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return std::optional<CacheTag>();
    }
    // A link, a socket or an unreadable file: not a tag we wrote.
    return std::optional<CacheTag>(CacheTag{});
  }
  const Fd tag(fd);
  std::string text(k_max_cache_tag_size + 1, '\0');
  std::size_t used = 0;
  // A short read of a regular file is its end; anything else is no tag.
  for (ssize_t got; used < text.size();) {
    got = ::read(tag.get(), text.data() + used, text.size() - used);
    if (got <= 0) {
      break;
    }
    used += static_cast<std::size_t>(got);
    if (static_cast<std::size_t>(got) < text.size() - (used - static_cast<std::size_t>(got))) {
      break;
    }
  }
  if (used > k_max_cache_tag_size) {
    return std::optional<CacheTag>(CacheTag{});
  }
  text.resize(used);
  return std::optional<CacheTag>(parse_cache_tag(text));
}

Expected<void> CacheDir::check_real_path() const {
  // The directory it really is, whatever links led there (/home/u/link ->
  // /mnt): checked before a directory becomes a cache. A tagged one was
  // checked when it was tagged, which keeps this readlink off every hit.
  if (const auto real = real_path_of(m_fd.get(), m_path)) {
    SEALEXEC_TRY(check_not_refused(*real, m_path.string(), m_refused));
  }
  return {};
}

Expected<void> CacheDir::write_tag() {
  SEALEXEC_TRY(check_real_path());
  std::uint64_t random = 0;
  (void)::getrandom(&random, sizeof random, 0);
  const std::string temp = fmt::format("{}.{:016x}.tmp", k_cache_tag_name, random);
  const std::string text = cache_tag_text();
  {
    const int fd = ::openat(m_fd.get(), temp.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      return fail(system_error("cannot mark the cache directory", describe(k_cache_tag_name),
                               "openat"));
    }
    Fd file(fd);
    const bool written = ::write(file.get(), text.data(), text.size()) ==
                             static_cast<ssize_t>(text.size()) &&
                         ::fsync(file.get()) == 0;
    if (!written) {
      const Error error =
          system_error("cannot mark the cache directory", describe(k_cache_tag_name), "write");
      ::unlinkat(m_fd.get(), temp.c_str(), 0);
      return fail(error);
    }
  }
  // A rename, so that no reader ever sees half a tag, and a tag that a crash
  // left empty is replaced.
  if (::renameat(m_fd.get(), temp.c_str(), m_fd.get(), std::string(k_cache_tag_name).c_str()) !=
      0) {
    const Error error =
        system_error("cannot mark the cache directory", describe(k_cache_tag_name), "renameat");
    ::unlinkat(m_fd.get(), temp.c_str(), 0);
    return fail(error);
  }
  ::fsync(m_fd.get());
  m_layout = k_cache_layout;
  return {};
}

Expected<void> CacheDir::recognise() {
  const std::string name = m_path.string();
  for (int attempt = 0; attempt < 3; ++attempt) {
    SEALEXEC_TRY_ASSIGN(const std::optional<CacheTag> tag, read_tag());
    if (tag && tag->sealexec_layout) {
      if (*tag->sealexec_layout > k_cache_layout) {
        return fail(make_error(
            Errc::policy, name,
            fmt::format("refused as a cache: a newer sealexec made it (layout {}; this one knows "
                        "layouts up to {}); use that sealexec, or another directory",
                        *tag->sealexec_layout, k_cache_layout)));
      }
      m_layout = *tag->sealexec_layout;
      return {};
    }
    if (tag && tag->is_cache_tag) {
      return fail(make_error(Errc::policy, name,
                             "refused as a cache: it is another program's cache directory (its "
                             "CACHEDIR.TAG does not name sealexec)"));
    }
    // No tag of ours: an empty directory becomes a cache, one made by a
    // sealexec from before tags is adopted, anything else is left alone.
    bool tag_appeared = false;
    bool has_layout = false;
    bool has_config = false;
    std::vector<std::string> foreign;
    for (const DirEntry& entry : list_directory(m_fd.get())) {
      if (entry.name == k_cache_tag_name) {
        // Without a tag a moment ago: written meanwhile by a process creating
        // the cache. With one: damaged, judged by the rest of the directory.
        tag_appeared = !tag;
      } else if (is_tag_temp_name(entry.name)) {
        continue;
      } else if (entry.name == "cache.conf") {
        has_config = true;
      } else if (entry.name == "lost+found" && S_ISDIR(entry.st.st_mode)) {
        continue; // made by mkfs on a volume of its own; never touched
      } else if (is_layout_name(entry.name) && S_ISDIR(entry.st.st_mode)) {
        has_layout = true;
      } else {
        foreign.push_back(entry.name);
      }
    }
    if (tag_appeared) {
      continue;
    }
    if (!foreign.empty()) {
      std::ranges::sort(foreign);
      std::string listed;
      for (std::size_t i = 0; i < foreign.size() && i < 3; ++i) {
        listed += fmt::format("{}'{}'", i == 0 ? "" : ", ", foreign[i]);
      }
      if (foreign.size() > 3) {
        listed += fmt::format(" and {} more", foreign.size() - 3);
      }
      return fail(make_error(
          Errc::policy, name,
          fmt::format("refused as a cache: it is neither empty nor a sealexec cache (it holds {}); "
                      "sealexec uses only an empty or new directory, or one it made and marked "
                      "with {}",
                      listed, k_cache_tag_name)));
    }
    if (has_layout) {
      // Laid out like a cache, and Bazel's --disk_cache is too: adopted only
      // when what is inside shows that sealexec made it.
      if (!made_by_earlier_sealexec(m_fd.get())) {
        return fail(make_error(
            Errc::policy, name,
            "refused as a cache: it is laid out like a cache, but nothing in it shows that "
            "sealexec made it (another tool's, such as Bazel's --disk_cache?); sealexec uses only "
            "an empty or new directory, or one it made"));
      }
      SEALEXEC_TRY(check_real_path());
      m_layout = 1; // the caller adopts it (Cache::open) and tags it
      return {};
    }
    if (has_config && !holds_settings_only(m_fd.get())) {
      // Another program's configuration directory can hold a cache.conf; one
      // of sealexec's is key = value lines (docs/cache.md).
      return fail(make_error(Errc::policy, name,
                             "refused as a cache: it holds a cache.conf that is not made of "
                             "sealexec's 'key = value' settings, and nothing else"));
    }
    if (tag) {
      // A CACHEDIR.TAG that is not ours, in a directory holding nothing of
      // ours: someone's file, never replaced.
      return fail(make_error(Errc::policy, name,
                             fmt::format("refused as a cache: its {} was not written by sealexec",
                                         k_cache_tag_name)));
    }
    return write_tag();
  }
  return fail(make_error(Errc::system, name, "its CACHEDIR.TAG keeps changing"));
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
    // A directory checked before was opened the same way from the same
    // checked parent, so it is the one that was checked: only a new one
    // costs the fstat and the comparisons.
    if (!m_checked_directories.contains(so_far)) {
      SEALEXEC_TRY(check_private_directory(dir.get(), describe(so_far)));
      m_checked_directories.insert(so_far);
    }
    if (slash == std::string_view::npos) {
      return dir;
    }
    start = slash + 1;
  }
}

} // namespace sealexec::cache
