// Whether the kernel would let the caller execute a file directly.
//
// A sealed copy is a new file with its own mode on a mount of its own, so the
// kernel's checks on the original (the caller's execute permission, a noexec
// mount) no longer apply to it. Those are controls that users and
// administrators set on purpose; `sealexec run` applies them to the source
// file itself, as execve(2) would, unless the caller asks it not to.
#pragma once

#include "sealexec/util/error.h"

#include <string>

namespace sealexec {

// Errc::not_runnable, naming the reason (no execute permission for the
// caller, with the file's mode; or a noexec mount), when execve(2) of `path`
// would fail with EACCES for one of those reasons. Other problems (a missing
// file, an unreadable directory) are left for whoever opens the file to report.
[[nodiscard]] Expected<void> check_exec_permission(const std::string& path);

// A clearer account of `error`, the failure to open `path` for reading, when
// the caller may execute the file but not read it (mode 0711, say): sealexec
// must read a program to seal it. Any other error is returned unchanged.
[[nodiscard]] Error explain_unreadable(Error error, const std::string& path);

} // namespace sealexec
