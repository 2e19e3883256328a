// Running a sealed program under its own name.
//
// The kernel names a process (its comm: what ps, top, pgrep and killall
// show) after the last component of the path it was exec'd by, and hands a
// #! interpreter that path as its script ($0). Exec'd from a descriptor,
// both come from the memfd: comm "memfd:sealexec:" for every program, and
// $0 "/dev/fd/N", so `pgrep -x sleep` finds nothing and bzcmp runs as
// bzdiff. sealexec therefore execs through a symbolic link whose last
// component is the program's name and whose target is /proc/self/fd/N: the
// kernel resolves it in the exec'ing process, to the sealed memfd, and names
// the process after the link.
//
// A link serves every process that holds its image at descriptor N, so the
// links are made once and kept, in <private runtime dir>/names/N/NAME
// (util/runtime_dir.h says why that directory can be trusted).
#pragma once

#include "sealexec/util/error.h"

#include <string>
#include <string_view>

namespace sealexec {

// Whether `name` can be the last component of a path (not empty, ".", ".."
// and without '/' or NUL, at most NAME_MAX bytes).
[[nodiscard]] bool is_usable_name(std::string_view name);

// The path of a link named `name` that resolves to descriptor `fd` of the
// process that execs it: created if missing, and its target checked.
[[nodiscard]] Expected<std::string> name_link(std::string_view name, int fd);

} // namespace sealexec
