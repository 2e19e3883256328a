// What `sealexec check` looks at: this machine, a root file system in a
// directory (--root), or a container image (--image); and, for --deps, the
// ld.so.cache of that system.
#pragma once

#include "sealexec/audit/file_tree.h"
#include "sealexec/elf/ld_so_cache.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::cli {

class CheckTarget {
public:
  // This machine: its /etc/ld.so.cache (when `deps`), mapped.
  [[nodiscard]] static Expected<CheckTarget> host(bool deps);
  // The root file system in `directory`: its own /etc/ld.so.cache, read
  // through the tree.
  [[nodiscard]] static Expected<CheckTarget> root(const std::string& directory, bool deps);
  // The container image in `file` (FILE or FILE:REF; docker-archive, OCI
  // archive or OCI layout directory), its layers applied in memory: its own
  // /etc/ld.so.cache, read through the tree.
  [[nodiscard]] static Expected<CheckTarget> image(const std::string& file, bool deps);

  // The tree to scan; null for this machine.
  [[nodiscard]] const audit::FileTree* tree() const { return m_tree.get(); }
  [[nodiscard]] const elf::LdSoCache* cache() const { return m_cache ? &*m_cache : nullptr; }
  // Warnings to print once (a cache that is missing or damaged: ld.so then
  // searches its default directories only, and so does check).
  [[nodiscard]] const std::vector<std::string>& warnings() const { return m_warnings; }

  CheckTarget(CheckTarget&&) noexcept = default;
  CheckTarget& operator=(CheckTarget&&) noexcept = default;
  CheckTarget(const CheckTarget&) = delete;
  CheckTarget& operator=(const CheckTarget&) = delete;
  ~CheckTarget() = default;

private:
  CheckTarget() = default;
  void load_cache_from_tree(const std::string& shown_as);

  std::unique_ptr<audit::FileTree> m_tree;
  std::vector<std::byte> m_cache_bytes; // what m_cache points into, when read from a tree
  std::optional<elf::LdSoCache> m_cache;
  std::vector<std::string> m_warnings;
};

} // namespace sealexec::cli
