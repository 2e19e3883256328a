// sealexec's private per-user directory for things that live only while the
// machine is up (the name links of exec/name_link.h).
//
// $XDG_RUNTIME_DIR/sealexec when $XDG_RUNTIME_DIR is set (the XDG base
// directory convention: a tmpfs of the user's own, mode 0700) and can be
// trusted, otherwise $TMPDIR/sealexec-UID, or /tmp/sealexec-UID. Something in it is trusted,
// so every directory on the way must be one that only we or root can change:
// each is owned by root or by us, and one that others may write to must be
// sticky (so that they cannot rename what we own in it), and the directory
// itself is ours, mode 0700, and not a symbolic link.
#pragma once

#include "sealexec/util/error.h"

#include <string>
#include <string_view>

namespace sealexec {

// The directory's path (created if missing), or why none can be trusted
// (the first candidate's reason).
[[nodiscard]] Expected<std::string> private_runtime_dir();

// Creates the directory `path` (mode 0700) if it is missing; it must then be
// a directory of ours, mode 0700, and not a symbolic link.
[[nodiscard]] Expected<void> ensure_private_subdirectory(const std::string& path);

} // namespace sealexec
