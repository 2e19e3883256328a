// The bytes of a sealed image, for the ELF parsers, without mapping it.
#pragma once

#include "sealexec/elf/byte_source.h"
#include "sealexec/image/sealed_image.h"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sealexec {

// Serves reads inside the image's head from memory and the rest with pread
// from its sealed memfd, which cannot shrink, so a read inside size() never
// falls short. A small read past the head fetches the aligned block around
// it and keeps it, so that neighbouring reads (a dynamic section, then its
// strings) cost one system call. Only the parts a parser asks for are read,
// so checking a 500 MB program costs a few KiB of memory and no address space
// of its size. Not for concurrent use; make one per thread. `image` must
// outlive it.
class ImageSource final : public ByteSource {
public:
  explicit ImageSource(const SealedImage& image)
      : m_fd(image.fd()), m_size(image.size()), m_head(image.head()), m_name(image.source()) {}
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  [[nodiscard]] std::string_view name() const override { return m_name; }
  [[nodiscard]] Expected<void> read(std::uint64_t offset,
                                    std::span<std::byte> destination) const override;

private:
  static constexpr std::uint64_t k_block_size = 4096;

  int m_fd;
  std::uint64_t m_size;
  std::span<const std::byte> m_head;
  std::string_view m_name;
  mutable std::vector<std::byte> m_block;
  mutable std::uint64_t m_block_offset = 0;
};

} // namespace sealexec
