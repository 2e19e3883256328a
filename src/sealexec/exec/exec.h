// Replacing the calling process with a sealed image.
#pragma once

#include "sealexec/exec/launch.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <optional>
#include <string>

namespace sealexec {

// Replaces the calling process with `image` through execveat(AT_EMPTY_PATH),
// so its exit status and any death by signal are the caller's own. Returns
// only when the image cannot run; the process is then unchanged, apart from
// errno. A script gets an inheritable duplicate of the image's descriptor for
// its interpreter to open as /dev/fd/N; it exists only from exec on.
[[nodiscard]] Error exec(const SealedImage& image, const ExecOptions& options);

// The same, for a launch already prepared (to show its warnings first).
[[nodiscard]] Error exec(const SealedImage& image, const Launch& launch);

// What exec runs: a descriptor of the image and, when the launch has a name,
// a name link to it (exec/name_link.h), so that the process gets that name.
struct ExecTarget {
  Fd script_fd;  // a script's inheritable read-only descriptor, if any
  Fd high_fd;    // an ELF image's descriptor, moved up for the name link
  int fd = -1;   // the descriptor the kernel runs: the image's or script_fd
  std::string path; // a name link to `fd`; empty: exec by descriptor
  // Why there is no name link although the launch has a name. The process
  // then runs as memfd:… and a script's $0 is /dev/fd/N: a caller that runs
  // a script should say so.
  std::optional<Error> unnamed;
};
[[nodiscard]] Expected<ExecTarget> prepare_exec_target(const SealedImage& image,
                                                       const Launch& launch);

// Execs `target`, by its name link when it has one. If the link cannot be
// exec'd (ENOENT: no /proc, say), by its descriptor after all.
[[nodiscard]] Error exec(const SealedImage& image, const Launch& launch,
                         const ExecTarget& target);

} // namespace sealexec
