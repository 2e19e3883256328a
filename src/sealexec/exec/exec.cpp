#include "sealexec/exec/exec.h"

#include "sealexec/image/memfd.h"
#include "sealexec/util/fd.h"

#include <fcntl.h>

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
  Fd script_fd;
  int fd = image.fd();
  if (launch.keep_image_fd) {
    // The kernel refuses (ENOENT) to run a script from a close-on-exec
    // descriptor, since the interpreter could not open /dev/fd/N. The
    // interpreter gets a read-only one.
    auto read_only = reopen_read_only(image.fd(), image.source());
    if (!read_only) {
      return std::move(read_only).error();
    }
    script_fd.reset(::fcntl(read_only->get(), F_DUPFD, k_lowest_script_fd));
    if (!script_fd) {
      return system_error("cannot prepare the script's descriptor", image.source(),
                          "fcntl(F_DUPFD)");
    }
    fd = script_fd.get();
  }
  exec_fd(fd, launch.argv.data(), launch.envp.data());
  const int err = errno;
  Error error = system_error("cannot execute", image.source(), "execveat", err);
  if (err == EACCES || err == ENOEXEC || err == ENOENT || err == ETXTBSY || err == EPERM) {
    error.code = Errc::not_runnable;
  }
  return error;
}

} // namespace sealexec
