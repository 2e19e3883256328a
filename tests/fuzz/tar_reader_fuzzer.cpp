// Feeds arbitrary bytes to the tar reader, then applies them as an image
// layer (whiteouts, opaque directories, hard and symbolic links) and walks
// the resulting tree.
#include "sealexec/audit/image_tree.h"
#include "sealexec/audit/tar_reader.h"

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace {

void walk(const sealexec::audit::FileTree& tree, const std::string& directory, int depth) {
  auto entries = tree.list(directory);
  if (!entries || depth > 8) {
    return;
  }
  for (const auto& entry : *entries) {
    const std::string path = (directory == "/" ? "" : directory) + "/" + entry.name;
    (void)tree.kind(path, true);
    (void)tree.read_link(path);
    (void)sealexec::audit::canonical_path(tree, path);
    if (auto file = tree.open(path)) {
      std::array<std::byte, 4> magic{};
      (void)(*file)->bytes().read(0, magic);
    }
    if (entry.kind == sealexec::audit::TreeKind::directory) {
      walk(tree, path, depth + 1);
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const auto bytes = std::as_bytes(std::span(data, size));
  audit::MemoryStream stream(bytes);
  audit::TarReader reader(stream, "fuzz.tar");
  std::array<std::byte, 512> buffer{};
  for (int members = 0; members < 10000; ++members) {
    auto member = reader.next();
    if (!member || !*member) {
      break;
    }
    while (true) {
      auto got = reader.read_data(buffer);
      if (!got || *got == 0) {
        break;
      }
    }
  }
  // The same bytes as a layer of an image, read from a file with pread.
  const int fd = ::memfd_create("layer", MFD_CLOEXEC);
  if (fd < 0 || ::write(fd, data, size) != static_cast<ssize_t>(size)) {
    if (fd >= 0) {
      ::close(fd);
    }
    return 0;
  }
  audit::ImageLayers image{.name = "fuzz"};
  image.files.emplace_back(fd);
  image.layers.push_back({.file = 0, .offset = 0, .size = size, .name = "fuzz: layer 1"});
  image.layers.push_back({.file = 0, .offset = 0, .size = size, .name = "fuzz: layer 2"});
  if (auto tree = audit::build_image_tree(std::move(image))) {
    walk(**tree, "/", 0);
  }
  return 0;
}
