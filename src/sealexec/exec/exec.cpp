#include "sealexec/exec/exec.h"

#include "sealexec/exec/name_link.h"
#include "sealexec/image/memfd.h"
#include "sealexec/util/fd.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>


namespace sealexec {

namespace {

// Descriptors 0-2 are never used for the script's copy, even when closed:
// the interpreter would then read its script from standard input.
constexpr int k_lowest_script_fd = 3;
} // namespace

Error exec(const SealedImage& image, const ExecOptions& options) {
  auto launch = prepare_launch(image, options);
  if (!launch) {
    return std::move(launch).error();
  }
  return exec(image, *launch);
}

Error exec(const SealedImage& image, const Launch& launch) {
  auto target = prepare_exec_target(image, launch);
  if (!target) {
    return std::move(target).error();
  }
  return exec(image, launch, *target);
}

// The name link leads to /proc/self/fd/N, and N means whatever the process
// that opens the link has there: a script that re-runs "$0" after `exec
// 5<file`, or a child whose low descriptors are pipes (Python's
// multiprocessing), would open something else at a low N. So the image
// goes as high as the soft RLIMIT_NOFILE allows (at most 1023), where
// programs rarely put anything: the highest free one there (an outer sealed
// script's may be taken), or, when none is, the lowest (duplicate_high).
int high_descriptor_floor() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return 1023;
  }
  return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1024)) - 1;
}

// A duplicate of `fd` at the highest free descriptor from `high` down (64
// tried: a sealed script run by a sealed script finds the outer one's
// there), or an invalid Fd when none is free.
Fd duplicate_high(int fd, int high, bool close_on_exec) {
  for (int n = high; n >= std::max(high - 63, k_lowest_script_fd); --n) {
    if (::fcntl(n, F_GETFD) == -1 && errno == EBADF) {
      return Fd(::dup3(fd, n, close_on_exec ? O_CLOEXEC : 0));
    }
  }
  return Fd();
}

Expected<ExecTarget> prepare_exec_target(const SealedImage& image, const Launch& launch) {
  ExecTarget target;
  target.fd = image.fd();
  const int high = high_descriptor_floor();
  if (!launch.keep_image_fd && !launch.name.empty()) {
    // AT_EXECFN names the link too, and the program may read it later.
    target.high_fd = duplicate_high(image.fd(), high, true);
    if (target.high_fd) {
      target.fd = target.high_fd.get();
    }
  }
  if (launch.keep_image_fd) {
    // The kernel refuses (ENOENT) to run a script from a close-on-exec
    // descriptor, since the interpreter could not open /dev/fd/N. The
    // interpreter gets a read-only one.
    SEALEXEC_TRY_ASSIGN(const Fd read_only, reopen_read_only(image.fd(), image.source()));
    target.script_fd = duplicate_high(read_only.get(), high, false);
    if (!target.script_fd) {
      target.script_fd.reset(::fcntl(read_only.get(), F_DUPFD, k_lowest_script_fd));
    }
    if (!target.script_fd) {
      return fail(system_error("cannot prepare the script's descriptor", image.source(),
                               "fcntl(F_DUPFD)"));
    }
    target.fd = target.script_fd.get();
  }
  if (!launch.name.empty()) {
    auto link = name_link(launch.name, target.fd);
    if (link) {
      target.path = std::move(*link);
    } else {
      target.unnamed = std::move(link).error();
    }
  }
  return target;
}

Error exec(const SealedImage& image, const Launch& launch, const ExecTarget& target) {
  // valgrind opens the program's path only after re-exec'ing its own
  // launcher and tool: a close-on-exec descriptor behind /proc/self/fd/N is
  // gone by then ("valgrind: /proc/self/fd/4: No such file or directory").
  // Under valgrind only, the image's descriptor is left open across exec.
  if (running_on_valgrind()) {
    ::fcntl(target.fd, F_SETFD, 0);
  }
  if (!target.path.empty()) {
    ::execve(target.path.c_str(), launch.argv.data(), launch.envp.data());
    // ENOENT: the link or /proc/self/fd/N did not resolve (no /proc).
    if (errno == ENOENT) {
      exec_fd(target.fd, launch.argv.data(), launch.envp.data());
    }
  } else {
    exec_fd(target.fd, launch.argv.data(), launch.envp.data());
  }
  const int err = errno;
  Error error = system_error("cannot execute", image.source(), "execveat", err);
  if (err == EACCES || err == ENOEXEC || err == ENOENT || err == ETXTBSY || err == EPERM ||
      err == ELOOP) {
    error.code = Errc::not_runnable;
  }
  return error;
}

} // namespace sealexec
