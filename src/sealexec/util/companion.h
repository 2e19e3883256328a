// Where sealexec's companion files are: the programs and objects installed
// beside the CLI (the HTTP helper, the environment restorer).
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace sealexec {

// Where a companion file named `name` may be, in order: next to the running
// executable (a build tree), in ../libexec/sealexec relative to it (a
// relocated install), the same two relative to libsealexec.so when this
// code runs from it, and in the configured install's libexec/sealexec. The
// caller decides which one to trust.
[[nodiscard]] std::vector<std::filesystem::path> companion_candidates(std::string_view name);

} // namespace sealexec
