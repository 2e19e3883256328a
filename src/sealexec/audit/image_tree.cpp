#include "sealexec/audit/image_tree.h"

#include "sealexec/audit/image_archive.h"
#include "sealexec/audit/tar_reader.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <expected>
#include <map>

namespace sealexec::audit {

namespace {

// Not a real device: an image's file identities are its node numbers.
constexpr std::uint64_t k_image_dev = 0x5ea1'0000'0000'0001ULL;
constexpr int k_max_links = 40; // MAXSYMLINKS, as the kernel follows
constexpr std::size_t k_max_nodes = 8U << 20;
// Content kept in memory from compressed layers, all layers together.
constexpr std::uint64_t k_kept_limit = 4ULL << 30;
constexpr std::size_t k_magic_size = 4;
constexpr std::size_t k_prefetch = 4096;
constexpr std::uint32_t k_root = 0;

struct Entry {
  std::uint32_t node = 0;
  std::uint32_t layer = 0; // which layer put this name here (whiteouts hide lower ones only)
};

struct Node {
  TreeKind kind = TreeKind::other;
  std::map<std::string, Entry, std::less<>> children; // directories
  std::string target;                                 // symbolic links
  std::uint64_t size = 0;                             // regular files
  std::optional<std::size_t> file;                    // bytes at `offset` in that file...
  std::uint64_t offset = 0;
  std::vector<std::byte> kept; // ...or these (a prefix unless the file is ELF)
};

// A member's bytes inside the archive, read with pread: the first page at
// once (an ELF header and its program headers), then small reads by block.
class RangeSource final : public ByteSource {
public:
  RangeSource(int fd, std::uint64_t base, std::uint64_t size, std::string name)
      : m_fd(fd), m_base(base), m_size(size), m_name(std::move(name)) {}
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  [[nodiscard]] std::string_view name() const override { return m_name; }
  [[nodiscard]] Expected<void> read(std::uint64_t offset,
                                    std::span<std::byte> destination) const override {
    if (!range_fits(offset, destination.size(), m_size)) {
      return fail(out_of_bounds(offset, destination.size()));
    }
    if (destination.size() > k_prefetch) {
      return pread_exactly(offset, destination);
    }
    const bool cached = offset >= m_block_offset &&
                        range_fits(offset - m_block_offset, destination.size(), m_block.size());
    if (!cached) {
      const std::uint64_t start = offset - offset % k_prefetch;
      const std::uint64_t end = std::min<std::uint64_t>(
          m_size, (offset + destination.size() + k_prefetch - 1) / k_prefetch * k_prefetch);
      m_block.resize(static_cast<std::size_t>(end - start));
      m_block_offset = start;
      if (auto read = pread_exactly(start, m_block); !read) {
        m_block.clear();
        return read;
      }
    }
    if (!destination.empty()) {
      std::memcpy(destination.data(), m_block.data() + (offset - m_block_offset),
                  destination.size());
    }
    return {};
  }

private:
  [[nodiscard]] Expected<void> pread_exactly(std::uint64_t offset,
                                             std::span<std::byte> destination) const {
    std::size_t done = 0;
    while (done < destination.size()) {
      const ssize_t got = ::pread(m_fd, destination.data() + done, destination.size() - done,
                                  static_cast<off_t>(m_base + offset + done));
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got < 0) {
        return fail(system_error("cannot read", m_name, "pread"));
      }
      if (got == 0) {
        return fail(make_error(Errc::changed, m_name,
                               "cannot read: the image archive was truncated while checked"));
      }
      done += static_cast<std::size_t>(got);
    }
    return {};
  }

  int m_fd;
  std::uint64_t m_base;
  std::uint64_t m_size;
  std::string m_name;
  mutable std::vector<std::byte> m_block;
  mutable std::uint64_t m_block_offset = 0;
};

// What was kept of a file from a compressed layer. Its size is the file's;
// bytes beyond what was kept were never stored, and reading them is an
// error (the scan reads 4 bytes of a file that is not ELF, no more).
class KeptSource final : public ByteSource {
public:
  KeptSource(std::span<const std::byte> kept, std::uint64_t size, std::string name)
      : m_kept(kept), m_size(size), m_name(std::move(name)) {}
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  [[nodiscard]] std::string_view name() const override { return m_name; }
  [[nodiscard]] Expected<void> read(std::uint64_t offset,
                                    std::span<std::byte> destination) const override {
    if (!range_fits(offset, destination.size(), m_size)) {
      return fail(out_of_bounds(offset, destination.size()));
    }
    if (!range_fits(offset, destination.size(), m_kept.size())) {
      return fail(make_error(Errc::not_runnable, m_name,
                             "is not an ELF file; its content in a compressed layer was not kept"));
    }
    if (!destination.empty()) {
      std::memcpy(destination.data(), m_kept.data() + offset, destination.size());
    }
    return {};
  }

private:
  std::span<const std::byte> m_kept;
  std::uint64_t m_size;
  std::string m_name;
};

class ImageFile final : public TreeFile {
public:
  ImageFile(std::unique_ptr<ByteSource> source, std::uint32_t node)
      : m_source(std::move(source)), m_node(node) {}
  [[nodiscard]] const ByteSource& bytes() const override { return *m_source; }
  [[nodiscard]] TreeFileId id() const override { return {k_image_dev, m_node + 1ULL}; }

private:
  std::unique_ptr<ByteSource> m_source;
  std::uint32_t m_node;
};

// A member's name as a list of components: leading "/" and "./" dropped, as
// tar does; "..", which could climb out of the image, is refused.
std::optional<std::vector<std::string>> member_components(std::string_view name) {
  std::deque<std::string> parts;
  split_path_components(name, parts, false);
  std::vector<std::string> components;
  for (std::string& part : parts) {
    if (part == "..") {
      return std::nullopt;
    }
    if (part != ".") {
      components.push_back(std::move(part));
    }
  }
  return components;
}

// "/a/b" from the first `count` components.
std::string joined_path(const std::vector<std::string>& components, std::size_t count) {
  std::string path;
  for (std::size_t i = 0; i < count; ++i) {
    path += "/" + components[i];
  }
  return path;
}

bool is_elf_magic(std::span<const std::byte> bytes) {
  return bytes.size() >= k_magic_size && bytes[0] == std::byte{0x7f} &&
         bytes[1] == std::byte{'E'} && bytes[2] == std::byte{'L'} && bytes[3] == std::byte{'F'};
}

class ImageTree final : public FileTree {
public:
  explicit ImageTree(std::vector<Fd> files) : m_files(std::move(files)) {
    m_nodes.emplace_back().kind = TreeKind::directory;
  }

  Expected<void> apply(const LayerRange& range, std::uint32_t layer);

  Expected<std::unique_ptr<TreeFile>> open(const std::string& path) const override {
    const auto found = resolve(path, true);
    if (!found) {
      return fail(system_error("cannot open", path, "open", found.error()));
    }
    const Node& node = m_nodes[*found];
    if (node.kind != TreeKind::regular) {
      return fail(make_error(Errc::not_runnable, path, "is not a regular file"));
    }
    std::unique_ptr<ByteSource> source;
    if (node.file) {
      source = std::make_unique<RangeSource>(m_files[*node.file].get(), node.offset, node.size,
                                             path);
    } else {
      source = std::make_unique<KeptSource>(node.kept, node.size, path);
    }
    return std::make_unique<ImageFile>(std::move(source), *found);
  }
  std::optional<TreeKind> kind(const std::string& path, bool follow) const override {
    const auto found = resolve(path, follow);
    return found ? std::optional(m_nodes[*found].kind) : std::nullopt;
  }
  std::optional<std::string> read_link(const std::string& path) const override {
    const auto found = resolve(path, false);
    if (!found || m_nodes[*found].kind != TreeKind::symlink) {
      return std::nullopt;
    }
    return m_nodes[*found].target;
  }
  Expected<std::vector<TreeEntry>> list(const std::string& directory) const override {
    const auto found = resolve(directory, true);
    if (!found || m_nodes[*found].kind != TreeKind::directory) {
      return fail(system_error("cannot read directory", directory, "opendir",
                               found ? ENOTDIR : found.error()));
    }
    std::vector<TreeEntry> entries;
    entries.reserve(m_nodes[*found].children.size());
    for (const auto& [name, entry] : m_nodes[*found].children) {
      entries.push_back({name, m_nodes[entry.node].kind});
    }
    return entries;
  }
  std::string working_directory() const override { return "/"; }

private:
  // The node `path` names, as path resolution in a chroot finds it: links
  // followed inside the image (an absolute target starts again at its root,
  // ".." of the root is the root); an errno on failure.
  [[nodiscard]] std::expected<std::uint32_t, int> resolve(std::string_view path,
                                                          bool follow_last) const {
    std::deque<std::string> pending;
    split_path_components(path, pending, false);
    std::vector<std::uint32_t> stack{k_root};
    int links = 0;
    while (!pending.empty()) {
      const std::string component = std::move(pending.front());
      pending.pop_front();
      if (component == ".") {
        continue;
      }
      if (component == "..") {
        if (stack.size() > 1) {
          stack.pop_back();
        }
        continue;
      }
      const Node& directory = m_nodes[stack.back()];
      const auto child = directory.children.find(component);
      if (child == directory.children.end()) {
        return std::unexpected(ENOENT);
      }
      const Node& node = m_nodes[child->second.node];
      const bool last = pending.empty();
      if (node.kind == TreeKind::symlink && (!last || follow_last)) {
        if (++links > k_max_links) {
          return std::unexpected(ELOOP);
        }
        if (node.target.empty()) {
          return std::unexpected(ENOENT);
        }
        if (node.target.starts_with('/')) {
          stack.resize(1);
        }
        split_path_components(node.target, pending, true);
        continue;
      }
      if (!last && node.kind != TreeKind::directory) {
        return std::unexpected(ENOTDIR);
      }
      stack.push_back(child->second.node);
    }
    return stack.back();
  }

  [[nodiscard]] Expected<std::uint32_t> new_node(TreeKind kind, const LayerRange& range) {
    if (m_nodes.size() >= k_max_nodes) {
      return fail(make_error(Errc::too_large, range.name,
                             fmt::format("holds more than {} files; not read", k_max_nodes)));
    }
    m_nodes.emplace_back().kind = kind;
    return static_cast<std::uint32_t>(m_nodes.size() - 1);
  }

  // Removes from the directory `node` everything lower layers put there,
  // also inside the directories `layer` declared again in it.
  void hide_lower(std::uint32_t node, std::uint32_t layer);
  [[nodiscard]] Expected<std::uint32_t> parent_of(const std::vector<std::string>& components,
                                                  const TarMember& member,
                                                  const LayerRange& range, std::uint32_t layer);
  [[nodiscard]] Expected<void> add_member(const TarMember& member, TarReader& reader,
                                          const LayerRange& range, std::uint32_t layer);
  [[nodiscard]] Expected<void> keep_content(Node& node, const std::string& path,
                                            TarReader& reader, const LayerRange& range);

  std::vector<Node> m_nodes; // [0] is the root; replaced nodes stay, unreachable
  std::vector<Fd> m_files;
  std::uint64_t m_kept = 0;
};

Error hostile(const LayerRange& range, const TarMember& member, std::string_view why) {
  return make_error(Errc::malformed, range.name, fmt::format("member '{}': {}", member.name, why));
}

// The directory a member goes in, made as needed (tar creates missing
// parents). A symbolic link on the way is followed inside the image, as a
// container runtime applying the layer would; anything else is refused.
Expected<std::uint32_t> ImageTree::parent_of(const std::vector<std::string>& components,
                                             const TarMember& member, const LayerRange& range,
                                             std::uint32_t layer) {
  std::uint32_t current = k_root;
  std::string walked;
  for (std::size_t i = 0; i + 1 < components.size(); ++i) {
    walked += "/" + components[i];
    const auto child = m_nodes[current].children.find(components[i]);
    if (child == m_nodes[current].children.end()) {
      SEALEXEC_TRY_ASSIGN(const std::uint32_t made, new_node(TreeKind::directory, range));
      m_nodes[current].children.emplace(components[i], Entry{made, layer});
      current = made;
      continue;
    }
    const std::uint32_t next = child->second.node;
    if (m_nodes[next].kind == TreeKind::directory) {
      current = next;
      continue;
    }
    const auto followed = m_nodes[next].kind == TreeKind::symlink
                              ? resolve(walked, true)
                              : std::expected<std::uint32_t, int>(std::unexpected(ENOTDIR));
    if (!followed || m_nodes[*followed].kind != TreeKind::directory) {
      return fail(hostile(range, member,
                          fmt::format("lies under '{}', which is not a directory in the image",
                                      walked)));
    }
    current = *followed;
  }
  return current;
}

Expected<void> ImageTree::keep_content(Node& node, const std::string& path, TarReader& reader,
                                       const LayerRange& range) {
  // The magic first: most files are not ELF, and their bytes are not kept.
  std::array<std::byte, k_magic_size> magic{};
  std::size_t got = 0;
  while (got < magic.size()) {
    SEALEXEC_TRY_ASSIGN(const std::size_t n, reader.read_data(std::span(magic).subspan(got)));
    if (n == 0) {
      break;
    }
    got += n;
  }
  node.kept.assign(magic.begin(), magic.begin() + static_cast<std::ptrdiff_t>(got));
  // An ld.so.cache is kept wherever it lies ("ld.so-1.7.0" or
  // "glibc-ld.so.cache1.1"): /etc/ld.so.cache may be a link to it.
  const auto starts_with = [&](std::string_view prefix) {
    return node.kept.size() >= prefix.size() &&
           std::memcmp(node.kept.data(), prefix.data(), prefix.size()) == 0;
  };
  if (!is_elf_magic(node.kept) && path != "/etc/ld.so.cache" && !starts_with("ld.s") &&
      !starts_with("glib")) {
    return {};
  }
  // Grown as the bytes arrive, never reserved from the header's size, which
  // a hostile archive sets at will.
  std::array<std::byte, 64U << 10> chunk{};
  for (;;) {
    SEALEXEC_TRY_ASSIGN(const std::size_t n, reader.read_data(chunk));
    if (n == 0) {
      break;
    }
    m_kept += n;
    if (m_kept > k_kept_limit) {
      return fail(make_error(Errc::too_large, range.name,
                             fmt::format("holds more than {} bytes of ELF files in compressed "
                                         "layers; not read",
                                         k_kept_limit)));
    }
    node.kept.insert(node.kept.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return {};
}

void ImageTree::hide_lower(std::uint32_t node, std::uint32_t layer) {
  // Iterative: a hostile layer can nest directories very deep.
  std::vector<std::uint32_t> pending{node};
  while (!pending.empty()) {
    const std::uint32_t current = pending.back();
    pending.pop_back();
    auto& children = m_nodes[current].children;
    std::erase_if(children, [&](const auto& item) { return item.second.layer < layer; });
    for (const auto& [name, entry] : children) {
      if (m_nodes[entry.node].kind == TreeKind::directory) {
        pending.push_back(entry.node);
      }
    }
  }
}

Expected<void> ImageTree::add_member(const TarMember& member, TarReader& reader,
                                     const LayerRange& range, std::uint32_t layer) {
  const auto components = member_components(member.name);
  if (!components) {
    return fail(hostile(range, member, "its name climbs out of the image with '..'; refused"));
  }
  if (components->empty()) {
    return {}; // the root itself ("./")
  }
  const std::string& base = components->back();
  if (base.starts_with(".wh.")) {
    // A whiteout hides a name of the lower layers; an opaque marker all of a
    // directory's lower content (OCI image spec, "Whiteouts").
    const auto parent = resolve(joined_path(*components, components->size() - 1), true);
    if (!parent || m_nodes[*parent].kind != TreeKind::directory) {
      return {}; // nothing below to hide
    }
    auto& children = m_nodes[*parent].children;
    if (base == ".wh..wh..opq") {
      hide_lower(*parent, layer);
      return {};
    }
    if (base.starts_with(".wh..wh.")) {
      return {}; // aufs bookkeeping (.wh..wh.plnk...), not a whiteout
    }
    const std::string hidden = base.substr(4);
    if (hidden.empty() || hidden == "." || hidden == "..") {
      return fail(hostile(range, member, "a whiteout of no name"));
    }
    if (const auto found = children.find(hidden); found != children.end()) {
      if (found->second.layer < layer) {
        children.erase(found);
      } else if (m_nodes[found->second.node].kind == TreeKind::directory) {
        // Declared again by this layer before its whiteout: what this
        // layer puts in it stays, what lower layers put in it goes.
        hide_lower(found->second.node, layer);
      }
    }
    return {};
  }

  SEALEXEC_TRY_ASSIGN(const std::uint32_t parent, parent_of(*components, member, range, layer));
  std::uint32_t node = 0;
  switch (member.type) {
  case TarType::directory: {
    const auto existing = m_nodes[parent].children.find(base);
    if (existing != m_nodes[parent].children.end() &&
        m_nodes[existing->second.node].kind == TreeKind::directory) {
      existing->second.layer = layer; // the same directory, now also this layer's
      return {};
    }
    SEALEXEC_TRY_ASSIGN(node, new_node(TreeKind::directory, range));
    break;
  }
  case TarType::regular: {
    SEALEXEC_TRY_ASSIGN(node, new_node(TreeKind::regular, range));
    Node& file = m_nodes[node];
    file.size = member.size;
    if (member.data_offset) {
      file.file = range.file;
      file.offset = *member.data_offset;
    } else {
      SEALEXEC_TRY(keep_content(file, joined_path(*components, components->size()), reader,
                                range));
    }
    break;
  }
  case TarType::symlink: {
    SEALEXEC_TRY_ASSIGN(node, new_node(TreeKind::symlink, range));
    m_nodes[node].target = member.link_name;
    break;
  }
  case TarType::hard_link: {
    // A hard link names a member already extracted, by its name in the
    // archive: it can only point backwards, so links cannot form a cycle.
    const auto target = member_components(member.link_name);
    if (!target || target->empty()) {
      return fail(hostile(range, member,
                          fmt::format("a hard link to '{}', outside the image", member.link_name)));
    }
    const auto found = resolve(joined_path(*target, target->size()), false);
    if (!found) {
      return fail(hostile(range, member,
                          fmt::format("a hard link to '{}', which the image does not hold",
                                      member.link_name)));
    }
    if (m_nodes[*found].kind == TreeKind::directory) {
      return fail(hostile(range, member,
                          fmt::format("a hard link to the directory '{}'", member.link_name)));
    }
    node = *found;
    break;
  }
  case TarType::other: {
    SEALEXEC_TRY_ASSIGN(node, new_node(TreeKind::other, range));
    break;
  }
  }
  m_nodes[parent].children.insert_or_assign(base, Entry{node, layer});
  return {};
}

Expected<void> ImageTree::apply(const LayerRange& range, std::uint32_t layer) {
  LayerStreamOptions options = range.options;
  if (options.decompressed_limit == 0) {
    options.decompressed_limit = default_decompressed_limit(range.size);
  }
  SEALEXEC_TRY_ASSIGN(auto stream, LayerStream::open(m_files[range.file].get(), range.offset,
                                                     range.size, range.name, std::move(options)));
  TarReader reader(*stream, range.name);
  for (;;) {
    SEALEXEC_TRY_ASSIGN(const auto member, reader.next());
    if (!member) {
      break;
    }
    SEALEXEC_TRY(add_member(*member, reader, range, layer));
  }
  return stream->finish();
}

} // namespace

Expected<std::unique_ptr<FileTree>> build_image_tree(ImageLayers image) {
  auto tree = std::make_unique<ImageTree>(std::move(image.files));
  // Layer numbers start at 1, so that nothing is "below" the empty root.
  std::uint32_t layer = 1;
  for (const LayerRange& range : image.layers) {
    SEALEXEC_TRY(tree->apply(range, layer++));
  }
  return tree;
}

Expected<std::unique_ptr<FileTree>> open_image_tree(const std::string& spec) {
  SEALEXEC_TRY_ASSIGN(ImageLayers layers, open_image_layers(spec));
  return build_image_tree(std::move(layers));
}

} // namespace sealexec::audit
