// Publishing files into the cache so that a crash at any moment leaves
// either the old state or the new one, plus at most a temporary file that gc
// removes. Published files are read-only (0444) and never opened for writing
// again: a new version is a new inode renamed into place, so a process that
// has the old one mapped or running keeps its bytes (FACTS §3).
#pragma once

#include "sealexec/cache/cache_dir.h"
#include "sealexec/cache/judged_file.h"
#include "sealexec/cache/names.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <string>
#include <string_view>

namespace sealexec::cache {

// Whether a publish waits for the disk: entries and blobs do (a crash must
// never publish a name whose data is not there); bookkeeping whose loss
// only forgets something (the remote tier's high-water marks) need not.
enum class Durability { synced, unsynced };

// A private temporary file in <cache>/tmp with a unique name, locked (flock)
// for as long as this object lives: a held lock is how gc tells a file being
// written from the leftover of a writer that died, in any PID namespace.
// Removed on destruction unless renamed into place.
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
  [[nodiscard]] FileIdentity identity() const { return m_identity; }

  // fsync (unless `durability` says not to) and make read-only (0444). The
  // descriptor, and so the lock, stays open until this object is destroyed.
  [[nodiscard]] Expected<void> finish(Durability durability = Durability::synced);
  // Links the finished file in as `relative` if nothing is there yet (a
  // blob: the same name means the same content, so an existing one is kept,
  // never replaced). Returns false when it already existed. The temporary
  // name stays until destruction, so the file can be linked again.
  [[nodiscard]] Expected<bool> link_if_absent(std::string_view relative);
  // Renames the finished file over `relative` (an action entry: a new inode
  // replaces the old one, which is never rewritten).
  [[nodiscard]] Expected<void> rename_over(std::string_view relative,
                                          Durability durability = Durability::synced);

private:
  TempFile(const CacheDir& dir, Fd tmp_dir, Fd fd, std::string name, FileIdentity identity)
      : m_dir(&dir), m_tmp_dir(std::move(tmp_dir)), m_fd(std::move(fd)), m_name(std::move(name)),
        m_identity(identity) {}
  // fsyncs the directory holding `relative`, so that the new name survives.
  [[nodiscard]] Expected<void> sync_parent(std::string_view relative) const;

  const CacheDir* m_dir;
  Fd m_tmp_dir;
  Fd m_fd;
  std::string m_name; // inside tmp/
  FileIdentity m_identity;
  bool m_renamed = false;
};

} // namespace sealexec::cache
