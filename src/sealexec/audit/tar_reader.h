// A streaming reader of tar archives (ustar, GNU and pax), for container
// image layers and the archives that carry them. Every field is hostile:
// lengths and numbers are bounds-checked, header checksums verified, and
// any damage is one Errc::malformed error naming the archive and the member.
#pragma once

#include "sealexec/util/error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace sealexec::audit {

// Bytes read in order (a layer, possibly decompressed; or memory).
class InputStream {
public:
  virtual ~InputStream() = default;
  // Reads up to `destination.size()` bytes; 0 only at the end.
  [[nodiscard]] virtual Expected<std::size_t> read(std::span<std::byte> destination) = 0;
  // Passes over `length` bytes (a seek when nothing needs to see them).
  [[nodiscard]] virtual Expected<void> skip(std::uint64_t length);
  // Where the next byte lies in the underlying file, when the stream is the
  // file's own bytes (no decompression): what lets a member be read later
  // with pread instead of being copied now.
  [[nodiscard]] virtual std::optional<std::uint64_t> file_offset() const { return std::nullopt; }
};

// Reads until `destination` is full or the stream ends; how many bytes.
[[nodiscard]] Expected<std::size_t> read_fully(InputStream& stream,
                                               std::span<std::byte> destination);

// Bytes in memory, as a stream (tests, fuzzers, small archives).
class MemoryStream final : public InputStream {
public:
  explicit MemoryStream(std::span<const std::byte> bytes) : m_bytes(bytes) {}
  [[nodiscard]] Expected<std::size_t> read(std::span<std::byte> destination) override;

private:
  std::span<const std::byte> m_bytes;
  std::size_t m_position = 0;
};

enum class TarType {
  regular,   // '0', '\0', '7' (contiguous)
  hard_link, // '1': link_name is another member's name
  symlink,   // '2'
  directory, // '5'
  other,     // devices, FIFOs, sparse and unknown types: data skipped
};

struct TarMember {
  std::string name;      // as stored, after GNU long names and pax "path"
  std::string link_name; // hard and symbolic links, after 'K' and pax "linkpath"
  TarType type = TarType::other;
  std::uint32_t mode = 0;
  std::uint64_t size = 0; // bytes of data that follow the header
  // Where the data lies in the underlying file, when the stream can say.
  std::optional<std::uint64_t> data_offset;
  bool sparse = false; // a GNU sparse file ('S'): refused, never read as plain
};

class TarReader {
public:
  // Reads `stream`; `archive` names it in errors.
  TarReader(InputStream& stream, std::string archive);

  // The next member, after passing over what is left of the current one's
  // data; nullopt at the end-of-archive marker. A stream that ends without
  // that marker is truncated, and an error.
  [[nodiscard]] Expected<std::optional<TarMember>> next();
  // Reads from the current member's data; 0 at its end.
  [[nodiscard]] Expected<std::size_t> read_data(std::span<std::byte> destination);

private:
  [[nodiscard]] Expected<void> finish_member();
  [[nodiscard]] Expected<std::string> read_extension(std::uint64_t size, const std::string& member,
                                                     std::uint64_t limit);
  [[nodiscard]] Error damaged(const std::string& member, const std::string& why) const;

  InputStream& m_stream;
  std::string m_archive;
  std::uint64_t m_data_left = 0; // of the current member
  std::uint64_t m_padding = 0;   // after it, up to the next 512-byte block
  std::uint64_t m_members = 0;
  std::string m_current; // the current member's name, for errors
  bool m_ended = false;
};

} // namespace sealexec::audit
