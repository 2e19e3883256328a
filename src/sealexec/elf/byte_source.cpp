#include "sealexec/elf/byte_source.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sealexec {

Error ByteSource::out_of_bounds(std::uint64_t offset, std::uint64_t length) const {
  return make_error(Errc::malformed, name(),
                    fmt::format("truncated or corrupt: {} bytes at offset {} lie beyond the end "
                                "of the file ({} bytes)",
                                length, offset, size()));
}

Expected<void> SpanSource::read(std::uint64_t offset, std::span<std::byte> destination) const {
  if (!range_fits(offset, destination.size(), m_bytes.size())) {
    return fail(out_of_bounds(offset, destination.size()));
  }
  if (!destination.empty()) {
    std::memcpy(destination.data(), m_bytes.data() + offset, destination.size());
  }
  return {};
}

Expected<void> FdSource::read(std::uint64_t offset, std::span<std::byte> destination) const {
  if (!range_fits(offset, destination.size(), m_size)) {
    return fail(out_of_bounds(offset, destination.size()));
  }
  std::size_t done = 0;
  while (done < destination.size()) {
    const ssize_t got = ::pread(m_fd, destination.data() + done, destination.size() - done,
                                static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot read", m_name, "pread"));
    }
    if (got == 0) {
      // The file shrank after its size was taken.
      return fail(out_of_bounds(offset, destination.size()));
    }
    done += static_cast<std::size_t>(got);
  }
  return {};
}

} // namespace sealexec
