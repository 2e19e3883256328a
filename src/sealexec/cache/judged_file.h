// Acting on a cache file only while its name still refers to the file that
// was judged. Between reading a file (and finding it damaged, stale or
// orphaned) and moving or removing it, another process may have removed it
// and published a new, valid one under the same name; acting on the name then
// would quarantine or delete the new one. No system call renames or unlinks
// "this inode", so the name is moved first and the inode checked after: a
// file that is not the judged one is put back.
#pragma once

#include "sealexec/util/error.h"

#include <sys/stat.h>

#include <string>

namespace sealexec::cache {

// A file's identity: its device and inode.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  [[nodiscard]] static FileIdentity of(const struct stat& st) { return {st.st_dev, st.st_ino}; }
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

enum class Acted {
  yes,     // the judged file was moved or removed
  changed, // the name held another file: left where it was (or put back)
  gone,    // nothing by that name any more
};

// Renames `name` in the directory `from` to `to_name` in `to` if it is still
// `judged`. Another file found there is put back with RENAME_NOREPLACE; when
// its name was taken again meanwhile, the one taken out is an older version,
// and it is unlinked, just as the publish that took the name would have
// replaced it.
[[nodiscard]] Expected<Acted> move_if_same(int from, const std::string& name, int to,
                                           const std::string& to_name, FileIdentity judged,
                                           const std::string& description);

// Unlinks `name` in `dir` if it is still `judged`: moved to `scratch_name` in
// `scratch` (tmp/) first, checked, then unlinked there.
[[nodiscard]] Expected<Acted> remove_if_same(int dir, const std::string& name, int scratch,
                                             const std::string& scratch_name, FileIdentity judged,
                                             const std::string& description);

} // namespace sealexec::cache
