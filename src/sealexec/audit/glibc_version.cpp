#include "sealexec/audit/glibc_version.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <string_view>
#include <vector>

namespace sealexec::audit {

namespace {

// libc.so.6 is about 2 MB; a larger file is read no further than this.
constexpr std::uint64_t k_max_read = 16ULL << 20;
constexpr std::string_view k_banner = "GNU C Library";
constexpr std::string_view k_release = " release version ";

std::vector<std::string> library_directories(const FileTree& tree) {
  std::vector<std::string> directories;
  for (const char* base : {"/usr/lib", "/lib"}) {
    if (auto entries = tree.list(base)) {
      std::ranges::sort(*entries, {}, &TreeEntry::name);
      for (const TreeEntry& entry : *entries) {
        if (entry.name.find("-linux-gnu") != std::string::npos) {
          directories.push_back(std::string(base) + "/" + entry.name);
        }
      }
    }
  }
  for (const char* plain : {"/lib64", "/usr/lib64", "/lib", "/usr/lib"}) {
    directories.emplace_back(plain);
  }
  return directories;
}

std::optional<std::string> version_in(std::string_view bytes) {
  for (std::size_t at = bytes.find(k_banner); at != std::string_view::npos;
       at = bytes.find(k_banner, at + 1)) {
    // The banner is one line; the version follows on it.
    const std::string_view line = bytes.substr(at, bytes.substr(at).find('\n'));
    const std::size_t release = line.find(k_release);
    if (release == std::string_view::npos) {
      continue;
    }
    std::string version;
    for (const char c : line.substr(release + k_release.size())) {
      if (std::isdigit(static_cast<unsigned char>(c)) == 0 && c != '.') {
        break;
      }
      version += c;
    }
    while (version.ends_with('.')) {
      version.pop_back();
    }
    if (!version.empty() && version.size() < 16) {
      return version;
    }
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> glibc_version(const FileTree& tree) {
  for (const std::string& directory : library_directories(tree)) {
    auto file = tree.open(directory + "/libc.so.6");
    if (!file) {
      continue;
    }
    const ByteSource& source = (*file)->bytes();
    std::vector<std::byte> bytes(std::min(source.size(), k_max_read));
    if (!source.read(0, bytes)) {
      continue;
    }
    return version_in(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  return std::nullopt;
}

} // namespace sealexec::audit
