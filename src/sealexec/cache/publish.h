// Publishing files into the cache so that a crash at any moment leaves
// either the old state or the new one, plus at most a temporary file that gc
// removes. Published files are read-only (0444) and never opened for writing
// again: a new version is a new inode renamed into place, so a process that
// has the old one mapped or running keeps its bytes (FACTS §3).
#pragma once

#include "sealexec/cache/cache_dir.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <string>
#include <optional>
#include <string_view>

namespace sealexec::cache {

// A private temporary file in <cache>/tmp with a unique name
// ("<pid>.<random>.tmp"), removed on destruction unless committed.
class TempFile {
public:
  [[nodiscard]] static Expected<TempFile> create(const CacheDir& dir);
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();

  [[nodiscard]] int fd() const { return m_fd.get(); }
  [[nodiscard]] const std::string& name() const { return m_name; }

  // fsync, make read-only (0444), close.
  [[nodiscard]] Expected<void> finish();
  // Links the finished file in as `relative` if nothing is there yet (a
  // blob: the same name means the same content, so an existing one is kept,
  // never replaced). Returns false when it already existed.
  [[nodiscard]] Expected<bool> link_if_absent(std::string_view relative);
  // Renames the finished file over `relative` (an action entry: a new inode
  // replaces the old one, which is never rewritten).
  [[nodiscard]] Expected<void> rename_over(std::string_view relative);

private:
  TempFile(const CacheDir& dir, Fd tmp_dir, Fd fd, std::string name)
      : m_dir(&dir), m_tmp_dir(std::move(tmp_dir)), m_fd(std::move(fd)), m_name(std::move(name)) {}
  // fsyncs the directory holding `relative`, so that the new name survives.
  [[nodiscard]] Expected<void> sync_parent(std::string_view relative) const;

  const CacheDir* m_dir;
  Fd m_tmp_dir;
  Fd m_fd;
  std::string m_name; // inside tmp/
  bool m_done = false;
};

// Parses the pid out of a temporary file's name; nullopt for other names.
[[nodiscard]] std::optional<int> temp_file_owner(std::string_view name);

} // namespace sealexec::cache
