#include "sealexec/util/fd.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string_view>

namespace sealexec {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset(other.release());
  }
  return *this;
}

Fd::~Fd() { reset(); }

int Fd::release() noexcept {
  const int fd = m_fd;
  m_fd = -1;
  return fd;
}

Expected<void> Fd::close() {
  const int fd = release();
  // Linux always releases the descriptor, even when close reports EINTR, so
  // retrying could close a descriptor another thread just received.
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) {
    return fail(system_error("cannot close file descriptor", "", "close"));
  }
  return {};
}

void Fd::reset(int fd) noexcept {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
  m_fd = fd;
}

Expected<Fd> open_fd(const char* path, int flags, unsigned mode) {
  int fd = -1;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return fail(system_error("cannot open", path, "open"));
  }
  return Fd(fd);
}

Expected<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(system_error("cannot create a pipe", "", "pipe2"));
  }
  return Pipe{.read_end = Fd(fds[0]), .write_end = Fd(fds[1])};
}

std::optional<std::filesystem::path> real_path_of(int fd, const std::filesystem::path& opened_as) {
  std::array<char, 4096> link{};
  const std::string self = fmt::format("/proc/self/fd/{}", fd);
  const ssize_t length = ::readlink(self.c_str(), link.data(), link.size());
  constexpr std::string_view k_deleted = " (deleted)";
  if (length > 0 && static_cast<std::size_t>(length) < link.size() && link[0] == '/') {
    const std::string_view text(link.data(), static_cast<std::size_t>(length));
    if (!text.ends_with(k_deleted)) {
      return std::filesystem::path(text);
    }
  }
  std::error_code error;
  auto canonical = std::filesystem::canonical(opened_as, error);
  if (error) {
    return std::nullopt;
  }
  return canonical;
}

} // namespace sealexec
