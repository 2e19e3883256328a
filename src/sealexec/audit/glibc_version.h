// Which glibc a system has, read from its libc.so.6 without running it: the
// predictions of check differ between glibc <= 2.40 and 2.41.
#pragma once

#include "sealexec/audit/file_tree.h"

#include <optional>
#include <string>

namespace sealexec::audit {

// "2.41", from the banner glibc keeps in libc.so.6 ("GNU C Library (...)
// stable release version 2.41."), for the first libc.so.6 found in the
// tree's library directories (multiarch ones first); nullopt when there is
// none or it says no version.
[[nodiscard]] std::optional<std::string> glibc_version(const FileTree& tree);

} // namespace sealexec::audit
