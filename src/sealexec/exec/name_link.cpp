#include "sealexec/exec/name_link.h"

#include "sealexec/util/runtime_dir.h"

#include <fmt/format.h>
#include <limits.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>

namespace sealexec {

namespace {

// The link's target, if `path` is a symbolic link.
std::optional<std::string> link_target(const std::string& path) {
  std::array<char, 64> buffer{};
  const ssize_t length = ::readlink(path.c_str(), buffer.data(), buffer.size());
  if (length < 0 || static_cast<std::size_t>(length) >= buffer.size()) {
    return std::nullopt;
  }
  return std::string(buffer.data(), static_cast<std::size_t>(length));
}

} // namespace

bool is_usable_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.size() <= NAME_MAX &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

Expected<std::string> name_link(std::string_view name, int fd) {
  if (!is_usable_name(name)) {
    return fail(make_error(Errc::invalid_argument, name, "cannot be a file name"));
  }
  SEALEXEC_TRY_ASSIGN(const std::string base, private_runtime_dir());
  const std::string names = base + "/names";
  SEALEXEC_TRY(ensure_private_subdirectory(names));
  const std::string directory = fmt::format("{}/{}", names, fd);
  SEALEXEC_TRY(ensure_private_subdirectory(directory));

  const std::string target = fmt::format("/proc/self/fd/{}", fd);
  const std::string link = fmt::format("{}/{}", directory, name);
  if (link.size() >= PATH_MAX) {
    return fail(make_error(Errc::invalid_argument, name, "makes too long a path"));
  }
  // Two attempts: another sealexec may create the same link between our
  // look and our symlink, and a wrong one (left by a crash in between, or by
  // an older version) is replaced.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (link_target(link) == target) {
      return link;
    }
    if (::symlink(target.c_str(), link.c_str()) == 0) {
      return link;
    }
    if (errno != EEXIST) {
      return fail(system_error("cannot create the name link", link, "symlink"));
    }
    if (link_target(link) == target) {
      return link;
    }
    if (::unlink(link.c_str()) != 0 && errno != ENOENT) {
      return fail(system_error("cannot replace the name link", link, "unlink"));
    }
  }
  return fail(make_error(Errc::system, link, "keeps being replaced by something else"));
}

} // namespace sealexec
