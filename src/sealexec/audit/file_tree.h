// The file system a check looks at: this machine's own, a root file system
// in a directory (check --root), or a container image read from its archive
// (check --image). Paths are absolute as the checked system sees them, so a
// closure resolved in a root names `/usr/lib/...`, never the host's
// `ROOT/usr/lib/...`. Nothing is ever executed, and nothing outside the tree
// is ever read: symbolic links resolve inside it, as they would under
// chroot(2).
#pragma once

#include "sealexec/elf/byte_source.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::audit {

enum class TreeKind { regular, directory, symlink, other };

// Names one file of a tree: two paths that open the same file give the same
// identity (hard links, symbolic links), so ld.so's "already loaded by
// another name" rule can be applied.
struct TreeFileId {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  bool operator==(const TreeFileId&) const = default;
};

// A regular file opened in a tree, for reading its bytes.
class TreeFile {
public:
  virtual ~TreeFile() = default;
  [[nodiscard]] virtual const ByteSource& bytes() const = 0;
  [[nodiscard]] virtual TreeFileId id() const = 0;
};

struct TreeEntry {
  std::string name;
  TreeKind kind = TreeKind::other;
};

class FileTree {
public:
  virtual ~FileTree() = default;

  // Opens `path`, following symbolic links inside the tree. Errors:
  // Errc::system with the errno open(2) would give (ENOENT, EACCES, ELOOP,
  // ENOTDIR...), Errc::not_runnable when it is not a regular file. The name
  // in errors and in the source is `path`.
  [[nodiscard]] virtual Expected<std::unique_ptr<TreeFile>> open(const std::string& path) const = 0;
  // What `path` is (stat, or lstat without `follow`); nullopt when absent.
  [[nodiscard]] virtual std::optional<TreeKind> kind(const std::string& path,
                                                     bool follow) const = 0;
  // The target of the symbolic link `path`; nullopt when it is not one.
  [[nodiscard]] virtual std::optional<std::string> read_link(const std::string& path) const = 0;
  // A directory's entries, in no particular order.
  [[nodiscard]] virtual Expected<std::vector<TreeEntry>> list(const std::string& directory) const = 0;
  // How a relative path is completed: this machine's working directory,
  // "/" in a root or an image.
  [[nodiscard]] virtual std::string working_directory() const = 0;
  // Reads a whole small file (ld.so.cache, ld.so.conf): Errc::malformed
  // when it is larger than `limit`.
  [[nodiscard]] Expected<std::vector<std::byte>> read_file(const std::string& path,
                                                           std::uint64_t limit) const;
};

// `path` made absolute against the tree's working directory, with every
// symbolic link resolved inside the tree, "." and ".." applied (".." of "/"
// is "/"); nullopt when a component is missing or links loop.
[[nodiscard]] std::optional<std::string> canonical_path(const FileTree& tree,
                                                        const std::string& path);

// The components of `path` ("a/./b//c" gives a, ., b, c; empty ones are
// dropped), added at the front or the back of `into`: the queue a path walk
// takes its next component from, a symbolic link's target going first.
void split_path_components(std::string_view path, std::deque<std::string>& into, bool at_front);

// `path` made absolute against the tree's working directory, lexically.
[[nodiscard]] std::string absolute_path(const FileTree& tree, const std::string& path);

// This machine's file system, as the process sees it.
[[nodiscard]] const FileTree& host_tree();

// A root file system in the directory `root` (check --root): every lookup
// is made with openat2(RESOLVE_IN_ROOT), so absolute symbolic links and ".."
// stay inside it, as under chroot(2) (Linux 5.6).
[[nodiscard]] Expected<std::unique_ptr<FileTree>> open_root_tree(const std::string& root);

} // namespace sealexec::audit
