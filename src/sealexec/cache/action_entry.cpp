#include "sealexec/cache/action_entry.h"

#include "sealexec/util/record.h"

#include <fmt/format.h>

namespace sealexec::cache {

namespace {

constexpr std::string_view k_magic = "SEALXAC\n";
constexpr std::uint32_t k_portable_version = 1;
constexpr std::uint32_t k_stored_version = 2;

void write_fields(RecordWriter& w, const ActionEntry& entry) {
  w.text(entry.fingerprint);
  w.text(entry.description);
  w.bytes(std::as_bytes(std::span(entry.blob_sha256.bytes)));
  w.bytes(std::as_bytes(std::span(entry.blob_xxh3.bytes)));
  w.u64(entry.size);
  w.u64(entry.created_unix_ns);
}

bool read_fields(RecordReader& r, ActionEntry& entry) {
  return r.text(entry.fingerprint, k_max_fingerprint_size) &&
         r.text(entry.description, k_max_description_size) &&
         r.bytes(std::as_writable_bytes(std::span(entry.blob_sha256.bytes))) &&
         r.bytes(std::as_writable_bytes(std::span(entry.blob_xxh3.bytes))) && r.u64(entry.size) &&
         r.u64(entry.created_unix_ns);
}

// The format version a record claims, read before its checksum is checked
// (which RecordReader::open then does for that version).
std::uint32_t claimed_version(std::span<const std::byte> bytes) {
  if (bytes.size() < k_magic.size() + 4) {
    return 0;
  }
  std::uint32_t version = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    version |= std::to_integer<std::uint32_t>(bytes[k_magic.size() + i]) << (8 * i);
  }
  return version;
}

} // namespace

std::vector<std::byte> serialize(const ActionEntry& entry) {
  RecordWriter w(k_magic, k_portable_version);
  write_fields(w, entry);
  return std::move(w).finish();
}

std::vector<std::byte> serialize_stored(const Sha256Digest& key, const ActionEntry& entry) {
  RecordWriter w(k_magic, k_stored_version);
  w.bytes(std::as_bytes(std::span(key.bytes)));
  write_fields(w, entry);
  return std::move(w).finish();
}

Expected<StoredEntry> parse_stored_entry(std::span<const std::byte> bytes, std::string_view name) {
  auto bad = [name](std::string_view reason) {
    return fail(make_error(Errc::malformed, name, fmt::format("damaged cache entry: {}", reason)));
  };
  const std::uint32_t version =
      claimed_version(bytes) == k_stored_version ? k_stored_version : k_portable_version;
  std::string why;
  auto reader = RecordReader::open(bytes, k_magic, version, k_max_action_entry_size, why);
  if (!reader) {
    return bad(why == "bad magic" ? "not a sealexec action entry (bad magic)" : why);
  }
  RecordReader& r = *reader;
  StoredEntry stored;
  if (version == k_stored_version) {
    Sha256Digest key;
    if (!r.bytes(std::as_writable_bytes(std::span(key.bytes)))) {
      return bad("truncated or oversized field");
    }
    stored.key = key;
  }
  if (!read_fields(r, stored.entry)) {
    return bad("truncated or oversized field");
  }
  if (!r.at_end()) {
    return bad("trailing bytes");
  }
  return stored;
}

Expected<ActionEntry> parse_action_entry(std::span<const std::byte> bytes, std::string_view name) {
  SEALEXEC_TRY_ASSIGN(StoredEntry stored, parse_stored_entry(bytes, name));
  if (stored.key) {
    return fail(make_error(Errc::malformed, name,
                           "damaged cache entry: a stored entry where a portable one belongs"));
  }
  return std::move(stored.entry);
}

} // namespace sealexec::cache
