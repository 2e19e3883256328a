#include "sealexec/util/companion.h"

#include "sealexec/version.h"

#include <dlfcn.h>

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
  // In libsealexec.so (a program of any language using the C API): beside
  // the library (a build tree), then ../libexec/sealexec relative to it.
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&companion_candidates), &info) != 0 &&
      info.dli_fname != nullptr) {
    const std::filesystem::path object = std::filesystem::canonical(info.dli_fname, error);
    if (!error && object != self) {
      candidates.push_back(object.parent_path() / name);
      candidates.push_back(object.parent_path().parent_path() / "libexec" / "sealexec" / name);
    }
  }
  candidates.push_back(std::filesystem::path(SEALEXEC_INSTALL_LIBEXECDIR) / "sealexec" / name);
  return candidates;
}

} // namespace sealexec
