#include "sealexec/cache/action_entry.h"

#include <fmt/format.h>

#include <cstring>

namespace sealexec::cache {

namespace {

constexpr std::string_view k_magic = "SEALXAC\n";
constexpr std::uint32_t k_version = 1;

class Writer {
public:
  void bytes(std::span<const std::byte> data) { m_out.insert(m_out.end(), data.begin(), data.end()); }
  void u32(std::uint32_t value) { little(value, 4); }
  void u64(std::uint64_t value) { little(value, 8); }
  void text(std::string_view value) {
    u32(static_cast<std::uint32_t>(value.size()));
    bytes(std::as_bytes(std::span(value.data(), value.size())));
  }
  std::vector<std::byte>& out() { return m_out; }

private:
  void little(std::uint64_t value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
      m_out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xff));
    }
  }
  std::vector<std::byte> m_out;
};

class Reader {
public:
  explicit Reader(std::span<const std::byte> data) : m_data(data) {}
  bool bytes(std::span<std::byte> out) {
    if (out.size() > m_data.size() - m_at) {
      return false;
    }
    std::memcpy(out.data(), m_data.data() + m_at, out.size());
    m_at += out.size();
    return true;
  }
  bool u32(std::uint32_t& value) { return little(value, 4); }
  bool u64(std::uint64_t& value) { return little(value, 8); }
  bool text(std::string& value, std::size_t limit) {
    std::uint32_t size = 0;
    if (!u32(size) || size > limit || size > m_data.size() - m_at) {
      return false;
    }
    value.assign(reinterpret_cast<const char*>(m_data.data() + m_at), size);
    m_at += size;
    return true;
  }
  [[nodiscard]] std::size_t position() const { return m_at; }

private:
  template <typename T>
  bool little(T& value, std::size_t width) {
    if (width > m_data.size() - m_at) {
      return false;
    }
    value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value |= static_cast<T>(std::to_integer<std::uint64_t>(m_data[m_at + i]) << (8 * i));
    }
    m_at += width;
    return true;
  }
  std::span<const std::byte> m_data;
  std::size_t m_at = 0;
};

} // namespace

std::vector<std::byte> serialize(const ActionEntry& entry) {
  Writer w;
  w.bytes(std::as_bytes(std::span(k_magic.data(), k_magic.size())));
  w.u32(k_version);
  w.text(entry.fingerprint);
  w.text(entry.description);
  w.bytes(std::as_bytes(std::span(entry.blob_sha256.bytes)));
  w.bytes(std::as_bytes(std::span(entry.blob_xxh3.bytes)));
  w.u64(entry.size);
  w.u64(entry.created_unix_ns);
  const Xxh3Digest checksum = xxh3_128(w.out());
  w.bytes(std::as_bytes(std::span(checksum.bytes)));
  return std::move(w.out());
}

Expected<ActionEntry> parse_action_entry(std::span<const std::byte> bytes, std::string_view name) {
  auto bad = [name](std::string_view reason) {
    return fail(make_error(Errc::malformed, name, fmt::format("damaged cache entry: {}", reason)));
  };
  if (bytes.size() > k_max_action_entry_size) {
    return bad("too large");
  }
  constexpr std::size_t k_checksum_size = 16;
  if (bytes.size() < k_magic.size() + 4 + k_checksum_size) {
    return bad("too short");
  }
  // The checksum first: past it, every field is known to be what was written.
  const auto body = bytes.first(bytes.size() - k_checksum_size);
  Xxh3Digest stored;
  std::memcpy(stored.bytes.data(), bytes.data() + body.size(), k_checksum_size);
  if (xxh3_128(body) != stored) {
    return bad("checksum mismatch");
  }
  Reader r(body);
  std::array<std::byte, k_magic.size()> magic{};
  std::uint32_t version = 0;
  if (!r.bytes(magic) || std::memcmp(magic.data(), k_magic.data(), k_magic.size()) != 0) {
    return bad("not a sealexec action entry (bad magic)");
  }
  if (!r.u32(version) || version != k_version) {
    return bad(fmt::format("unsupported format version {}", version));
  }
  ActionEntry entry;
  if (!r.text(entry.fingerprint, k_max_fingerprint_size) ||
      !r.text(entry.description, k_max_description_size) ||
      !r.bytes(std::as_writable_bytes(std::span(entry.blob_sha256.bytes))) ||
      !r.bytes(std::as_writable_bytes(std::span(entry.blob_xxh3.bytes))) || !r.u64(entry.size) ||
      !r.u64(entry.created_unix_ns)) {
    return bad("truncated or oversized field");
  }
  if (r.position() != body.size()) {
    return bad("trailing bytes");
  }
  return entry;
}

} // namespace sealexec::cache
