// Bounds-checked random access to bytes that may be hostile: an ELF file on
// disk, or a sealed image in memory. Parsers read through this interface and
// never index raw memory themselves.
#pragma once

#include "sealexec/util/error.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec {

// True when [offset, offset + length) lies inside [0, size), computed without
// overflow.
[[nodiscard]] constexpr bool range_fits(std::uint64_t offset, std::uint64_t length,
                                        std::uint64_t size) noexcept {
  return offset <= size && length <= size - offset;
}

class ByteSource {
public:
  virtual ~ByteSource() = default;
  [[nodiscard]] virtual std::uint64_t size() const = 0;
  // The file name used in error messages.
  [[nodiscard]] virtual std::string_view name() const = 0;
  // Fills `destination` from `offset`. Fails (Errc::malformed) when the range
  // is not inside the source, and (Errc::system) when reading fails.
  [[nodiscard]] virtual Expected<void> read(std::uint64_t offset,
                                            std::span<std::byte> destination) const = 0;

protected:
  [[nodiscard]] Error out_of_bounds(std::uint64_t offset, std::uint64_t length) const;
};

// Bytes already in memory, such as a sealed image's read-only mapping.
class SpanSource final : public ByteSource {
public:
  SpanSource(std::span<const std::byte> bytes, std::string name)
      : m_bytes(bytes), m_name(std::move(name)) {}
  [[nodiscard]] std::uint64_t size() const override { return m_bytes.size(); }
  [[nodiscard]] std::string_view name() const override { return m_name; }
  [[nodiscard]] Expected<void> read(std::uint64_t offset,
                                    std::span<std::byte> destination) const override;

private:
  std::span<const std::byte> m_bytes;
  std::string m_name;
};

// A file read with pread, so that only the parts a parser asks for are read
// and a file truncated meanwhile gives an error rather than SIGBUS.
class FdSource final : public ByteSource {
public:
  // `fd` must stay open while this source is used; `size` is the size to
  // trust (usually from fstat). With `prefetch`, the first read fetches that
  // many bytes from the start at once and later reads inside them are
  // served from memory: an ELF file's header, program headers and most notes
  // cost one system call. Small reads elsewhere then also fetch the whole
  // aligned block around them and keep it, so that consecutive strings of a
  // string table cost one system call too.
  FdSource(int fd, std::uint64_t size, std::string name, std::size_t prefetch = 0)
      : m_fd(fd), m_size(size), m_name(std::move(name)), m_prefetch(prefetch) {}
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  [[nodiscard]] std::string_view name() const override { return m_name; }
  [[nodiscard]] Expected<void> read(std::uint64_t offset,
                                    std::span<std::byte> destination) const override;

private:
  [[nodiscard]] Expected<void> pread_exactly(std::uint64_t offset,
                                             std::span<std::byte> destination) const;

  int m_fd;
  std::uint64_t m_size;
  std::string m_name;
  std::size_t m_prefetch;
  mutable std::vector<std::byte> m_head; // the prefetched first bytes
  mutable bool m_head_loaded = false;
  mutable std::vector<std::byte> m_block; // the last block read around a small read
  mutable std::uint64_t m_block_offset = 0;
};

} // namespace sealexec
