#include "sealexec/image/image_source.h"

#include "sealexec/image/copy.h"

#include <algorithm>
#include <cstring>

namespace sealexec {

Expected<void> ImageSource::read(std::uint64_t offset, std::span<std::byte> destination) const {
  if (!range_fits(offset, destination.size(), m_size)) {
    return fail(out_of_bounds(offset, destination.size()));
  }
  if (destination.empty()) {
    return {};
  }
  if (range_fits(offset, destination.size(), m_head.size())) {
    std::memcpy(destination.data(), m_head.data() + offset, destination.size());
    return {};
  }
  if (destination.size() > k_block_size) {
    return read_range(m_fd, offset, destination, m_name);
  }
  const bool cached = offset >= m_block_offset &&
                      range_fits(offset - m_block_offset, destination.size(), m_block.size());
  if (!cached) {
    // The aligned block around the read, two when it straddles a boundary.
    const std::uint64_t start = offset - offset % k_block_size;
    const std::uint64_t end = std::min<std::uint64_t>(
        m_size, (offset + destination.size() + k_block_size - 1) / k_block_size * k_block_size);
    m_block.resize(static_cast<std::size_t>(end - start));
    m_block_offset = start;
    if (auto done = read_range(m_fd, start, m_block, m_name); !done) {
      m_block.clear();
      return done;
    }
  }
  std::memcpy(destination.data(), m_block.data() + (offset - m_block_offset), destination.size());
  return {};
}

} // namespace sealexec
