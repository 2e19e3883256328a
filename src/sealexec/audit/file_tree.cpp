#include "sealexec/audit/file_tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <string_view>

namespace sealexec::audit {

namespace {

// Follows at most as many symbolic links as Linux does (MAXSYMLINKS).
constexpr int k_max_links = 40;

void drop_last_component(std::string& path) {
  const std::size_t slash = path.rfind('/');
  path.resize(slash == std::string::npos ? 0 : slash);
}

} // namespace

void split_path_components(std::string_view path, std::deque<std::string>& into, bool at_front) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    if (slash > start) {
      parts.emplace_back(path.substr(start, slash - start));
    }
    start = slash + 1;
  }
  into.insert(at_front ? into.begin() : into.end(), parts.begin(), parts.end());
}

Expected<std::vector<std::byte>> FileTree::read_file(const std::string& path,
                                                     std::uint64_t limit) const {
  SEALEXEC_TRY_ASSIGN(const auto file, open(path));
  const ByteSource& source = file->bytes();
  if (source.size() > limit) {
    return fail(make_error(Errc::malformed, path,
                           fmt::format("is larger than {} bytes, more than such a file can "
                                       "be; not read",
                                       limit)));
  }
  std::vector<std::byte> bytes(source.size());
  SEALEXEC_TRY(source.read(0, bytes));
  return bytes;
}

std::string absolute_path(const FileTree& tree, const std::string& path) {
  if (path.starts_with('/')) {
    return path;
  }
  std::string directory = tree.working_directory();
  if (!directory.ends_with('/')) {
    directory += '/';
  }
  return directory + path;
}

std::optional<std::string> canonical_path(const FileTree& tree, const std::string& path) {
  std::deque<std::string> pending;
  split_path_components(absolute_path(tree, path), pending, false);
  std::string resolved; // "" stands for "/"; never ends with '/'
  int links = 0;
  while (!pending.empty()) {
    const std::string component = std::move(pending.front());
    pending.pop_front();
    if (component == ".") {
      continue;
    }
    if (component == "..") {
      drop_last_component(resolved);
      continue;
    }
    std::string candidate = resolved + "/" + component;
    const auto kind = tree.kind(candidate, false);
    if (!kind) {
      return std::nullopt;
    }
    if (*kind == TreeKind::symlink) {
      const auto target = tree.read_link(candidate);
      if (!target || target->empty() || ++links > k_max_links) {
        return std::nullopt;
      }
      if (target->starts_with('/')) {
        resolved.clear();
      }
      split_path_components(*target, pending, true);
      continue;
    }
    if (*kind != TreeKind::directory && !pending.empty()) {
      return std::nullopt; // ENOTDIR
    }
    resolved = std::move(candidate);
  }
  return resolved.empty() ? std::string("/") : resolved;
}

} // namespace sealexec::audit
