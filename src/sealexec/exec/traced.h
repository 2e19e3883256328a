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

#include "sealexec/image/read_lease.h"
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

// A file shown to hold exactly an image's bytes, and kept so until exec.
struct IdenticalFile {
  Fd fd;          // close-on-exec, read-only
  ReadLease lease; // held on fd: nobody opens the file for writing meanwhile
};

// `path`'s file when it holds exactly `image`'s bytes (the same size, and
// compared byte for byte with the sealed copy: a fast hash could be made to
// collide) read through one descriptor under a read lease taken before the
// first byte is read: a writer that opens the file after that waits until
// the lease goes, which is when exec closes the descriptor, by then the
// kernel refuses it (ETXTBSY) for as long as the program runs. nullopt, with
// the reason, when the file holds anything else, or when no lease can be had
// (another user's file without CAP_LEASE, a file system without leases, a
// file open for writing): nothing then holds a writer off between the check
// and exec. Call still_held() on the lease right before exec: a writer that
// waited out lease-break-time (45 s) gets the file.
[[nodiscard]] Expected<std::optional<IdenticalFile>>
open_if_identical(const std::string& path, const SealedImage& image, std::string& why_not);

} // namespace sealexec
