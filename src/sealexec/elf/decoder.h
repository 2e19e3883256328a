// Endian-aware reads of integers from a buffer whose size the caller has
// already checked. Nothing is cast in place: a hostile file's fields are copied
// out with memcpy, so alignment never matters (mold's integers.h does the same).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace sealexec::elf {

enum class ByteOrder : std::uint8_t { little = 1, big = 2 }; // ELFDATA2LSB / ELFDATA2MSB

class Decoder {
public:
  Decoder(std::span<const std::byte> bytes, ByteOrder order) : m_bytes(bytes), m_order(order) {}

  // Each read requires offset + width <= size, which callers guarantee by
  // decoding only buffers of the exact structure size.
  [[nodiscard]] std::uint16_t u16(std::size_t offset) const { return load<std::uint16_t>(offset); }
  [[nodiscard]] std::uint32_t u32(std::size_t offset) const { return load<std::uint32_t>(offset); }
  [[nodiscard]] std::uint64_t u64(std::size_t offset) const { return load<std::uint64_t>(offset); }

private:
  template <typename T>
  [[nodiscard]] T load(std::size_t offset) const {
    T value{};
    if (offset > m_bytes.size() || sizeof(T) > m_bytes.size() - offset) {
      return value; // unreachable when the caller keeps the contract
    }
    std::memcpy(&value, m_bytes.data() + offset, sizeof(T));
    const bool native = (m_order == ByteOrder::little) == (std::endian::native == std::endian::little);
    return native ? value : std::byteswap(value);
  }

  std::span<const std::byte> m_bytes;
  ByteOrder m_order;
};

} // namespace sealexec::elf
