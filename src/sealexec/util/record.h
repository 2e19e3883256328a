// Small self-checking binary records: a magic, a format version, fields, and
// an XXH3-128 checksum over all of it. Integers are little-endian on every
// machine, strings are length-prefixed, and every read is bounds-checked, so
// a record that came from a hostile file either parses into exactly what was
// written or fails. Cache entries, script manifests and compiler probes use
// it.
#pragma once

#include "sealexec/util/digest.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec {

class RecordWriter {
public:
  // Starts a record with `magic` (8 bytes by convention) and `version`.
  RecordWriter(std::string_view magic, std::uint32_t version);

  void bytes(std::span<const std::byte> data);
  void u32(std::uint32_t value) { little(value, 4); }
  void u64(std::uint64_t value) { little(value, 8); }
  void text(std::string_view value);
  // Appends the checksum and hands over the record.
  [[nodiscard]] std::vector<std::byte> finish() &&;

private:
  void little(std::uint64_t value, std::size_t width);
  std::vector<std::byte> m_out;
};

class RecordReader {
public:
  // Checks size, checksum, magic and version. On failure, says why in words
  // fit to follow "damaged ...: ".
  [[nodiscard]] static std::optional<RecordReader> open(std::span<const std::byte> record,
                                                        std::string_view magic,
                                                        std::uint32_t version,
                                                        std::size_t max_size,
                                                        std::string& why);

  bool bytes(std::span<std::byte> out);
  bool u32(std::uint32_t& value) { return little(value, 4); }
  bool u64(std::uint64_t& value) { return little(value, 8); }
  bool text(std::string& value, std::size_t limit);
  // Whether every byte before the checksum has been read.
  [[nodiscard]] bool at_end() const { return m_at == m_data.size(); }

private:
  explicit RecordReader(std::span<const std::byte> body, std::size_t at)
      : m_data(body), m_at(at) {}
  bool little(std::uint32_t& value, std::size_t width);
  bool little(std::uint64_t& value, std::size_t width);
  std::span<const std::byte> m_data; // without the checksum
  std::size_t m_at = 0;
};

} // namespace sealexec
