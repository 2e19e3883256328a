// The cache directory: created private, checked on open, and never left.
#pragma once

#include "sealexec/cache/cache_tag.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sealexec::cache {

// Where the cache lives when nothing says otherwise: `override_dir`
// ($SEALEXEC_CACHE_DIR), else `xdg_cache_home`/sealexec ($XDG_CACHE_HOME),
// else `home`/.cache/sealexec. The caller passes the environment's values;
// empty strings count as unset, and a relative XDG_CACHE_HOME is ignored as
// the XDG specification says.
[[nodiscard]] Expected<std::filesystem::path> default_cache_dir(std::string_view override_dir,
                                                                std::string_view xdg_cache_home,
                                                                std::string_view home);

class CacheDir {
public:
  // Opens (creating, mode 0700) the directory `path`. Refuses, with a clear
  // error (Errc::policy):
  // - a directory that is a symlink, is owned by another user, or is
  //   writable by its group or others: someone else could replace what it
  //   holds;
  // - a system directory (/, /dev, /etc, /usr, ...), anything inside /proc,
  //   /sys or /dev (but /dev/shm), and each of `refused` (the caller's home);
  // - a directory that is neither empty, nor tagged by sealexec
  //   (cache_tag.h), nor laid out as a cache of a sealexec from before tags:
  //   nothing in a directory sealexec did not make is ever touched;
  // - creating `path` or a missing parent inside a directory that belongs to
  //   another user (root included, unless that user is root).
  // An empty directory is tagged. An untagged cache is opened with layout()
  // 1; Cache::open adopts it.
  [[nodiscard]] static Expected<CacheDir> open(const std::filesystem::path& path,
                                               std::span<const std::filesystem::path> refused = {});

  // The layout version of this cache: k_cache_layout once tagged, 1 for a
  // cache from before tags that is not adopted yet.
  [[nodiscard]] std::uint32_t layout() const { return m_layout; }
  // Marks the directory as a sealexec cache of the current layout.
  [[nodiscard]] Expected<void> write_tag();
  // Recognises the directory as a cache (see open), again: tags it if it is
  // empty, and updates layout().
  [[nodiscard]] Expected<void> recognise();

  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  [[nodiscard]] int fd() const { return m_fd.get(); }

  // Opens `relative` (no "..", no leading '/') beneath the cache without
  // following any symlink on the way: openat2 with RESOLVE_BENEATH and
  // RESOLVE_NO_SYMLINKS where the kernel has it (5.6), otherwise one
  // O_NOFOLLOW openat per component. O_CLOEXEC is always added. The
  // directories on the way are checked like the cache itself (once each per
  // CacheDir): Errc::policy when one is not private. A symlink as the last
  // component is Errc::malformed: a planted or damaged entry, not a setup
  // problem.
  [[nodiscard]] Expected<Fd> open_beneath(std::string_view relative, int flags,
                                          unsigned mode = 0) const;

  // The subdirectory `relative` (one or more components), created 0700 when
  // missing, and checked like the cache directory itself.
  [[nodiscard]] Expected<Fd> subdirectory(std::string_view relative) const;

  // "/path/to/cache/relative", for messages.
  [[nodiscard]] std::string describe(std::string_view relative) const;

private:
  CacheDir(std::filesystem::path path, Fd fd) : m_path(std::move(path)), m_fd(std::move(fd)) {}

  [[nodiscard]] Expected<std::optional<CacheTag>> read_tag() const;

  // Opens `relative` one component at a time from the cache directory, each
  // with O_NOFOLLOW and checked, creating missing ones when `create`.
  [[nodiscard]] Expected<Fd> walk(std::string_view relative, bool create) const;

  // Refuses the directory if its real path is one open() refuses.
  [[nodiscard]] Expected<void> check_real_path() const;

  std::filesystem::path m_path;
  Fd m_fd;
  std::uint32_t m_layout = 0;
  std::vector<std::filesystem::path> m_refused; // the caller's, for check_real_path
  // Directories already walked and found private. A checked directory can
  // only be swapped by someone who may write to its (checked) parent, so
  // checking each once per CacheDir is enough and keeps hits cheap.
  mutable std::unordered_set<std::string> m_checked_directories;
};

// One name in a directory, with its lstat data.
struct DirEntry {
  std::string name;
  struct stat st {};
};

// The entries of the directory open as `fd` (links not followed), without
// "." and "..". Empty when it cannot be read.
[[nodiscard]] std::vector<DirEntry> list_directory(int fd);

// Checks that the directory open as `fd` is ours and private enough.
[[nodiscard]] Expected<void> check_private_directory(int fd, std::string_view name);

} // namespace sealexec::cache
