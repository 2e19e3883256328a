// Starting a sealed image as a child process.
#pragma once

#include "sealexec/exec/child.h"
#include "sealexec/exec/launch.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/util/error.h"

#include <filesystem>
#include <optional>
#include <vector>

namespace sealexec {

// What one of the child's standard streams is connected to.
class Stdio {
public:
  enum class Mode { inherit, null, fd, pipe };
  // The parent's own stream (the default).
  [[nodiscard]] static Stdio inherit() { return Stdio(Mode::inherit, -1); }
  // /dev/null.
  [[nodiscard]] static Stdio null() { return Stdio(Mode::null, -1); }
  // A duplicate of the caller's `fd`, which stays the caller's.
  [[nodiscard]] static Stdio fd(int fd) { return Stdio(Mode::fd, fd); }
  // A new pipe whose other end ends up in Child::stdin_pipe and friends.
  [[nodiscard]] static Stdio pipe() { return Stdio(Mode::pipe, -1); }

  [[nodiscard]] Mode mode() const { return m_mode; }
  [[nodiscard]] int descriptor() const { return m_fd; }

private:
  Stdio(Mode mode, int fd) : m_mode(mode), m_fd(fd) {}
  Mode m_mode;
  int m_fd;
};

// A descriptor of the parent to give the child under another number.
struct ExtraFd {
  int child_fd;  // the number the child sees
  int parent_fd; // the caller's descriptor, which stays the caller's
};

struct SpawnOptions : ExecOptions {
  // When set, argv[0] becomes this (argv must then hold at least the rest).
  std::optional<std::string> argv0;
  // The child's working directory; empty: the parent's.
  std::filesystem::path cwd;
  Stdio stdin_stream = Stdio::inherit();
  Stdio stdout_stream = Stdio::inherit();
  Stdio stderr_stream = Stdio::inherit();
  std::vector<ExtraFd> extra_fds;
  // When set, the child gets no descriptor the parent left inheritable
  // (without close-on-exec) beyond its three streams and extra_fds, as
  // Python's close_fds: what the C API always asks for. When not, it
  // inherits them, as posix_spawn does.
  bool close_other_fds = false;
};

// Starts `image` as a child. The image's descriptor is moved above every
// target descriptor before any of them is set up, so no extra fd can
// clobber it (runc #4294). A script's child alone gets an inheritable copy of
// it; the parent's stays close-on-exec. Fails without leaving a child behind.
[[nodiscard]] Expected<Child> spawn(const SealedImage& image, const SpawnOptions& options);

} // namespace sealexec
