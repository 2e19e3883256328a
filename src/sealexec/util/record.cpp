#include "sealexec/util/record.h"

#include <fmt/format.h>

#include <cstring>

namespace sealexec {

namespace {
constexpr std::size_t k_checksum_size = 16;
}

RecordWriter::RecordWriter(std::string_view magic, std::uint32_t version) {
  bytes(std::as_bytes(std::span(magic.data(), magic.size())));
  u32(version);
}

void RecordWriter::bytes(std::span<const std::byte> data) {
  m_out.insert(m_out.end(), data.begin(), data.end());
}

void RecordWriter::text(std::string_view value) {
  u32(static_cast<std::uint32_t>(value.size()));
  bytes(std::as_bytes(std::span(value.data(), value.size())));
}

std::vector<std::byte> RecordWriter::finish() && {
  const Xxh3Digest checksum = xxh3_128(m_out);
  bytes(std::as_bytes(std::span(checksum.bytes)));
  return std::move(m_out);
}

void RecordWriter::little(std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    m_out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xff));
  }
}

std::optional<RecordReader> RecordReader::open(std::span<const std::byte> record,
                                               std::string_view magic, std::uint32_t version,
                                               std::size_t max_size, std::string& why) {
  if (record.size() > max_size) {
    why = "too large";
    return std::nullopt;
  }
  if (record.size() < magic.size() + 4 + k_checksum_size) {
    why = "too short";
    return std::nullopt;
  }
  // The checksum first: past it, every field is known to be what was written.
  const auto body = record.first(record.size() - k_checksum_size);
  Xxh3Digest stored;
  std::memcpy(stored.bytes.data(), record.data() + body.size(), k_checksum_size);
  if (xxh3_128(body) != stored) {
    why = "checksum mismatch";
    return std::nullopt;
  }
  if (std::memcmp(body.data(), magic.data(), magic.size()) != 0) {
    why = "bad magic";
    return std::nullopt;
  }
  RecordReader reader(body, magic.size());
  std::uint32_t found = 0;
  if (!reader.u32(found) || found != version) {
    why = fmt::format("unsupported format version {}", found);
    return std::nullopt;
  }
  return reader;
}

bool RecordReader::bytes(std::span<std::byte> out) {
  if (out.size() > m_data.size() - m_at) {
    return false;
  }
  std::memcpy(out.data(), m_data.data() + m_at, out.size());
  m_at += out.size();
  return true;
}

bool RecordReader::text(std::string& value, std::size_t limit) {
  std::uint32_t size = 0;
  if (!u32(size) || size > limit || size > m_data.size() - m_at) {
    return false;
  }
  value.assign(reinterpret_cast<const char*>(m_data.data() + m_at), size);
  m_at += size;
  return true;
}

bool RecordReader::little(std::uint32_t& value, std::size_t width) {
  std::uint64_t wide = 0;
  if (!little(wide, width)) {
    return false;
  }
  value = static_cast<std::uint32_t>(wide);
  return true;
}

bool RecordReader::little(std::uint64_t& value, std::size_t width) {
  if (width > m_data.size() - m_at) {
    return false;
  }
  value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    value |= std::to_integer<std::uint64_t>(m_data[m_at + i]) << (8 * i);
  }
  m_at += width;
  return true;
}

} // namespace sealexec
