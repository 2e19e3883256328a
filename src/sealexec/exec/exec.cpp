#include "sealexec/exec/exec.h"

#include "sealexec/exec/name_link.h"
#include "sealexec/image/memfd.h"
#include "sealexec/util/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

namespace sealexec {

namespace {

// valgrind has no execveat, and it runs a program by exec'ing its own
// launcher and tool first, which then open the program's path: a
// close-on-exec descriptor behind /proc/self/fd/N is gone by then
// ("valgrind: /proc/self/fd/4: No such file or directory"). Under valgrind
// only, the image's descriptor is left open across exec.
bool running_on_valgrind() {
#if __has_include(<valgrind/valgrind.h>)
  return RUNNING_ON_VALGRIND != 0;
#else
  return false;
#endif
}

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

Expected<ExecTarget> prepare_exec_target(const SealedImage& image, const Launch& launch) {
  ExecTarget target;
  target.fd = image.fd();
  if (launch.keep_image_fd) {
    // The kernel refuses (ENOENT) to run a script from a close-on-exec
    // descriptor, since the interpreter could not open /dev/fd/N. The
    // interpreter gets a read-only one.
    SEALEXEC_TRY_ASSIGN(const Fd read_only, reopen_read_only(image.fd(), image.source()));
    target.script_fd.reset(::fcntl(read_only.get(), F_DUPFD, k_lowest_script_fd));
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
