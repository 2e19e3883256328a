// Running under a debugger.
//
// gdb 13 reads a program's symbols from the path /proc/PID/exe shows. For a
// memfd that is "/memfd:… (deleted)", which nobody can open: a breakpoint in
// the program is never hit, a backtrace is "??", and `break main` stops in
// sealexec's own main. A tracer can write into the traced process anyway, so
// sealing protects nothing from it. When sealexec is traced (gdb, strace,
// ltrace), `sealexec run` therefore runs an ELF program from its own file,
// after checking through one descriptor that the file holds exactly the
// sealed bytes, and says so on stderr (docs/run.md, "Debuggers").
#pragma once

#include "sealexec/image/sealed_image.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <sys/types.h>

#include <optional>
#include <string>

namespace sealexec {

// The pid of the process that traces this one (TracerPid in
// /proc/self/status), or 0 when none, or when that cannot be read.
[[nodiscard]] pid_t tracer_pid();

// The tracer's name (its comm), for messages; "" when unknown.
[[nodiscard]] std::string process_name(pid_t pid);

// A close-on-exec descriptor of `path` when the file holds exactly `image`'s
// bytes (the same size and XXH3-128, read through that descriptor); nullopt
// when it holds anything else.
[[nodiscard]] Expected<std::optional<Fd>> open_if_identical(const std::string& path,
                                                            const SealedImage& image);

} // namespace sealexec
