#include "sealexec/exec/traced.h"


#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cerrno>
#include <charconv>
#include <string_view>
#include <vector>

namespace sealexec {

namespace {

// The first `limit` bytes of a /proc file, or "" when it cannot be read.
std::string read_small_file(const std::string& path, std::size_t limit) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return {};
  }
  std::string text(limit, '\0');
  const ssize_t got = ::read(fd.get(), text.data(), text.size());
  text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return text;
}

// `destination.size()` bytes of `fd` from `offset`.
Expected<void> read_exactly(int fd, std::span<std::byte> destination, std::uint64_t offset,
                            std::string_view name) {
  std::size_t done = 0;
  while (done < destination.size()) {
    const ssize_t got = ::pread(fd, destination.data() + done, destination.size() - done,
                                static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return fail(system_error("cannot read the sealed copy of", name, "pread"));
    }
    done += static_cast<std::size_t>(got);
  }
  return {};
}

} // namespace

pid_t tracer_pid() {
  const std::string status = read_small_file("/proc/self/status", 4096);
  constexpr std::string_view k_field = "\nTracerPid:";
  const std::size_t at = status.find(k_field);
  if (at == std::string::npos) {
    return 0;
  }
  std::size_t start = at + k_field.size();
  while (start < status.size() && (status[start] == ' ' || status[start] == '\t')) {
    ++start;
  }
  pid_t pid = 0;
  std::from_chars(status.data() + start, status.data() + status.size(), pid);
  return pid > 0 ? pid : 0;
}

std::string process_name(pid_t pid) {
  std::string name = read_small_file(fmt::format("/proc/{}/comm", pid), 64);
  while (!name.empty() && name.back() == '\n') {
    name.pop_back();
  }
  return name;
}

Expected<std::optional<IdenticalFile>>
open_if_identical(const std::string& path, const SealedImage& image, std::string& why_not) {
  SEALEXEC_TRY_ASSIGN(Fd fd, open_fd(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  ReadLease lease = ReadLease::take(fd.get(), ReadLease::Descriptor::ours);
  if (lease.state() != ReadLease::State::held) {
    why_not = lease.state() == ReadLease::State::writers
                  ? "it is open for writing"
                  : "no read lease can be had on it (another user's file, or no leases on its "
                    "file system), so nothing would hold a writer off until exec";
    return std::optional<IdenticalFile>();
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(system_error("cannot inspect", path, "fstat"));
  }
  why_not = "it does not hold the sealed bytes";
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != image.size()) {
    return std::optional<IdenticalFile>();
  }
  // Byte for byte against the sealed copy: a fast hash such as XXH3 is not
  // collision-resistant, and a file crafted to collide with the sealed
  // bytes (a --sha256 pin included) must not run in their place.
  std::vector<std::byte> file_bytes(256 * 1024);
  std::vector<std::byte> sealed_bytes(file_bytes.size());
  std::uint64_t offset = 0;
  while (offset < image.size()) {
    const std::size_t want = static_cast<std::size_t>(
        std::min<std::uint64_t>(file_bytes.size(), image.size() - offset));
    const ssize_t got = ::pread(fd.get(), file_bytes.data(), want, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail(system_error("cannot read", path, "pread"));
    }
    if (got == 0) {
      return std::optional<IdenticalFile>(); // shrank
    }
    const auto length = static_cast<std::size_t>(got);
    SEALEXEC_TRY(read_exactly(image.fd(), std::span(sealed_bytes.data(), length), offset,
                              image.source()));
    if (std::memcmp(file_bytes.data(), sealed_bytes.data(), length) != 0) {
      return std::optional<IdenticalFile>();
    }
    offset += length;
  }
  why_not.clear();
  return std::optional(IdenticalFile{.fd = std::move(fd), .lease = std::move(lease)});
}

} // namespace sealexec
