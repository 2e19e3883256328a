// A move-only owner of one file descriptor (ccache's util::Fd).
#pragma once

#include "sealexec/util/error.h"

#include <filesystem>
#include <optional>

namespace sealexec {

class Fd {
public:
  Fd() noexcept = default;
  // Takes ownership of `fd`; -1 means "no descriptor".
  explicit Fd(int fd) noexcept : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : m_fd(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  ~Fd();

  [[nodiscard]] int get() const noexcept { return m_fd; }
  [[nodiscard]] explicit operator bool() const noexcept { return m_fd >= 0; }

  // Gives up ownership and returns the descriptor.
  [[nodiscard]] int release() noexcept;
  // Closes now and reports a failure, unlike the destructor.
  Expected<void> close();
  // Closes the current descriptor (ignoring errors) and owns `fd` instead.
  void reset(int fd = -1) noexcept;

private:
  int m_fd = -1;
};

// open(2) with O_CLOEXEC always added.
[[nodiscard]] Expected<Fd> open_fd(const char* path, int flags, unsigned mode = 0);

// The real path of the file open as `fd`, every symlink resolved: the
// kernel's own name for it (one readlink of /proc/self/fd/N, where
// realpath(3) needs one call per component), else, without /proc or when
// the file was unlinked, `opened_as` resolved by name. nullopt if neither.
[[nodiscard]] std::optional<std::filesystem::path> real_path_of(int fd,
                                                                const std::filesystem::path& opened_as);

// A pair of close-on-exec pipe ends.
struct Pipe {
  Fd read_end;
  Fd write_end;
};
[[nodiscard]] Expected<Pipe> make_pipe();

} // namespace sealexec
