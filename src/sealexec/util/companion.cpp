#include "sealexec/util/companion.h"

#include "sealexec/version.h"

#include <system_error>

namespace sealexec {

std::vector<std::filesystem::path> companion_candidates(std::string_view name) {
  std::vector<std::filesystem::path> candidates;
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error && self.is_absolute()) {
    candidates.push_back(self.parent_path() / name);
    candidates.push_back(self.parent_path().parent_path() / "libexec" / "sealexec" / name);
  }
  candidates.push_back(std::filesystem::path(SEALEXEC_INSTALL_LIBEXECDIR) / "sealexec" / name);
  return candidates;
}

} // namespace sealexec
