// The two trees on disk: this machine's own (plain system calls) and a root
// directory (every lookup through openat2 with RESOLVE_IN_ROOT).
#include "sealexec/audit/file_tree.h"

#include "sealexec/util/fd.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace sealexec::audit {

namespace {

// The first page of an ELF file holds its header, program headers and
// usually its notes: one read.
constexpr std::size_t k_prefetch = 4096;

class FdTreeFile final : public TreeFile {
public:
  FdTreeFile(Fd fd, const struct stat& status, std::string name)
      : m_fd(std::move(fd)), m_status(status),
        m_source(m_fd.get(), static_cast<std::uint64_t>(status.st_size), std::move(name),
                 k_prefetch) {}
  [[nodiscard]] const ByteSource& bytes() const override { return m_source; }
  [[nodiscard]] TreeFileId id() const override {
    return {static_cast<std::uint64_t>(m_status.st_dev), static_cast<std::uint64_t>(m_status.st_ino)};
  }

private:
  Fd m_fd;
  struct stat m_status;
  FdSource m_source;
};

TreeKind kind_of_mode(mode_t mode) {
  return S_ISREG(mode)   ? TreeKind::regular
         : S_ISDIR(mode) ? TreeKind::directory
         : S_ISLNK(mode) ? TreeKind::symlink
                         : TreeKind::other;
}

// An open file made into a TreeFile, refusing anything but a regular file.
Expected<std::unique_ptr<TreeFile>> adopt(Fd fd, const std::string& path) {
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) {
    return fail(system_error("cannot inspect", path, "fstat"));
  }
  if (!S_ISREG(status.st_mode)) {
    return fail(make_error(Errc::not_runnable, path, "is not a regular file"));
  }
  return std::make_unique<FdTreeFile>(std::move(fd), status, path);
}

Expected<std::vector<TreeEntry>> list_open_directory(int fd, const std::string& directory) {
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return fail(system_error("cannot read directory", directory, "fdopendir"));
  }
  std::vector<TreeEntry> entries;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    TreeKind kind = entry->d_type == DT_REG   ? TreeKind::regular
                    : entry->d_type == DT_DIR ? TreeKind::directory
                    : entry->d_type == DT_LNK ? TreeKind::symlink
                                              : TreeKind::other;
    if (entry->d_type == DT_UNKNOWN) { // some file systems leave it to lstat
      struct stat st {};
      kind = ::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
                 ? kind_of_mode(st.st_mode)
                 : TreeKind::other;
    }
    entries.push_back({std::string(name), kind});
  }
  ::closedir(dir);
  return entries;
}

class HostTree final : public FileTree {
public:
  Expected<std::unique_ptr<TreeFile>> open(const std::string& path) const override {
    SEALEXEC_TRY_ASSIGN(Fd fd, open_fd(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY));
    return adopt(std::move(fd), path);
  }
  std::optional<TreeKind> kind(const std::string& path, bool follow) const override {
    struct stat st {};
    const int result = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    return result == 0 ? std::optional(kind_of_mode(st.st_mode)) : std::nullopt;
  }
  std::optional<std::string> read_link(const std::string& path) const override {
    std::error_code error;
    auto target = std::filesystem::read_symlink(path, error);
    return error ? std::nullopt : std::optional(target.string());
  }
  Expected<std::vector<TreeEntry>> list(const std::string& directory) const override {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return fail(system_error("cannot read directory", directory, "opendir"));
    }
    return list_open_directory(fd, directory);
  }
  std::string working_directory() const override {
    std::error_code error;
    auto directory = std::filesystem::current_path(error);
    return error ? std::string("/") : directory.string();
  }
};

class RootTree final : public FileTree {
public:
  explicit RootTree(Fd root) : m_root(std::move(root)) {}

  Expected<std::unique_ptr<TreeFile>> open(const std::string& path) const override {
    // A root is hostile: a device node in it must not even be opened (a
    // tape rewinds, a watchdog arms), so look at what it is first.
    if (kind(path, true) != TreeKind::regular) {
      SEALEXEC_TRY_ASSIGN(Fd probe, open_in_root(path, O_PATH));
      (void)probe;
      return fail(make_error(Errc::not_runnable, path, "is not a regular file"));
    }
    SEALEXEC_TRY_ASSIGN(Fd fd, open_in_root(path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
    return adopt(std::move(fd), path);
  }
  std::optional<TreeKind> kind(const std::string& path, bool follow) const override {
    struct stat st {};
    if (follow) {
      auto fd = open_in_root(path, O_PATH);
      if (!fd || ::fstat(fd->get(), &st) != 0) {
        return std::nullopt;
      }
      return kind_of_mode(st.st_mode);
    }
    const auto [parent, name] = split_parent(path);
    if (name.empty()) {
      return TreeKind::directory; // the root itself
    }
    auto fd = open_in_root(parent, O_PATH | O_DIRECTORY);
    if (!fd || ::fstatat(fd->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return std::nullopt;
    }
    return kind_of_mode(st.st_mode);
  }
  std::optional<std::string> read_link(const std::string& path) const override {
    const auto [parent, name] = split_parent(path);
    auto fd = open_in_root(parent, O_PATH | O_DIRECTORY);
    if (name.empty() || !fd) {
      return std::nullopt;
    }
    std::string target(4096, '\0');
    const ssize_t length = ::readlinkat(fd->get(), name.c_str(), target.data(), target.size());
    if (length < 0 || static_cast<std::size_t>(length) >= target.size()) {
      return std::nullopt;
    }
    target.resize(static_cast<std::size_t>(length));
    return target;
  }
  Expected<std::vector<TreeEntry>> list(const std::string& directory) const override {
    SEALEXEC_TRY_ASSIGN(Fd fd, open_in_root(directory, O_RDONLY | O_DIRECTORY));
    return list_open_directory(fd.release(), directory);
  }
  std::string working_directory() const override { return "/"; }

  Expected<Fd> open_in_root(const std::string& path, int flags) const {
    open_how how{};
    how.flags = static_cast<unsigned>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    // Relative to the root's descriptor; RESOLVE_IN_ROOT treats a leading
    // '/' (in the path and in every link) as the root itself.
    const std::string relative = path.empty() ? std::string(".") : path;
    const long fd = ::syscall(SYS_openat2, m_root.get(), relative.c_str(), &how, sizeof how);
    if (fd < 0) {
      return fail(system_error("cannot open", path, "openat2"));
    }
    return Fd(static_cast<int>(fd));
  }

private:
  static std::pair<std::string, std::string> split_parent(const std::string& path) {
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.ends_with('/')) {
      trimmed.pop_back();
    }
    const std::size_t slash = trimmed.rfind('/');
    if (slash == std::string::npos) {
      return {".", trimmed};
    }
    if (trimmed == "/") {
      return {"/", ""};
    }
    return {slash == 0 ? std::string("/") : trimmed.substr(0, slash), trimmed.substr(slash + 1)};
  }

  Fd m_root;
};

} // namespace

const FileTree& host_tree() {
  static const HostTree tree;
  return tree;
}

Expected<std::unique_ptr<FileTree>> open_root_tree(const std::string& root) {
  SEALEXEC_TRY_ASSIGN(Fd fd, open_fd(root.c_str(), O_PATH | O_DIRECTORY));
  auto tree = std::make_unique<RootTree>(std::move(fd));
  // Ask the kernel once, so that an old kernel is one clear error here
  // rather than "not found" for every file later.
  if (auto probe = tree->open_in_root("/", O_PATH | O_DIRECTORY); !probe) {
    Error error = std::move(probe).error();
    error.path = root;
    error.reason = error.sys_errno == ENOSYS
                       ? "cannot be checked as a root: this kernel has no openat2 (Linux 5.6)"
                       : "cannot be opened as a root";
    return fail(std::move(error));
  }
  return tree;
}

} // namespace sealexec::audit
