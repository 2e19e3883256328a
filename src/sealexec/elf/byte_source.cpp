#include "sealexec/elf/byte_source.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
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
  if (m_prefetch > 0 && !m_head_loaded) {
    m_head_loaded = true;
    m_head.resize(static_cast<std::size_t>(std::min<std::uint64_t>(m_prefetch, m_size)));
    if (!pread_exactly(0, m_head)) {
      m_head.clear(); // fall back to plain reads, which report the error
    }
  }
  if (range_fits(offset, destination.size(), m_head.size())) {
    if (!destination.empty()) {
      std::memcpy(destination.data(), m_head.data() + offset, destination.size());
    }
    return {};
  }
  if (m_prefetch > 0 && destination.size() <= m_prefetch) {
    const bool cached = offset >= m_block_offset &&
                        range_fits(offset - m_block_offset, destination.size(), m_block.size());
    if (!cached) {
      // The aligned block around the read, two blocks when it straddles one.
      const std::uint64_t start = offset - offset % m_prefetch;
      const std::uint64_t end = std::min<std::uint64_t>(
          m_size, (offset + destination.size() + m_prefetch - 1) / m_prefetch * m_prefetch);
      m_block.resize(static_cast<std::size_t>(end - start));
      m_block_offset = start;
      if (!pread_exactly(start, m_block)) {
        m_block.clear();
        return pread_exactly(offset, destination);
      }
    }
    std::memcpy(destination.data(), m_block.data() + (offset - m_block_offset),
                destination.size());
    return {};
  }
  return pread_exactly(offset, destination);
}

Expected<void> FdSource::pread_exactly(std::uint64_t offset,
                                       std::span<std::byte> destination) const {
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
