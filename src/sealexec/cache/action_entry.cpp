#include "sealexec/cache/action_entry.h"

#include "sealexec/util/record.h"

#include <fmt/format.h>

namespace sealexec::cache {

namespace {

constexpr std::string_view k_magic = "SEALXAC\n";
constexpr std::uint32_t k_version = 1;

} // namespace

std::vector<std::byte> serialize(const ActionEntry& entry) {
  RecordWriter w(k_magic, k_version);
  w.text(entry.fingerprint);
  w.text(entry.description);
  w.bytes(std::as_bytes(std::span(entry.blob_sha256.bytes)));
  w.bytes(std::as_bytes(std::span(entry.blob_xxh3.bytes)));
  w.u64(entry.size);
  w.u64(entry.created_unix_ns);
  return std::move(w).finish();
}

Expected<ActionEntry> parse_action_entry(std::span<const std::byte> bytes, std::string_view name) {
  auto bad = [name](std::string_view reason) {
    return fail(make_error(Errc::malformed, name, fmt::format("damaged cache entry: {}", reason)));
  };
  std::string why;
  auto reader = RecordReader::open(bytes, k_magic, k_version, k_max_action_entry_size, why);
  if (!reader) {
    return bad(why == "bad magic" ? "not a sealexec action entry (bad magic)" : why);
  }
  RecordReader& r = *reader;
  ActionEntry entry;
  if (!r.text(entry.fingerprint, k_max_fingerprint_size) ||
      !r.text(entry.description, k_max_description_size) ||
      !r.bytes(std::as_writable_bytes(std::span(entry.blob_sha256.bytes))) ||
      !r.bytes(std::as_writable_bytes(std::span(entry.blob_xxh3.bytes))) || !r.u64(entry.size) ||
      !r.u64(entry.created_unix_ns)) {
    return bad("truncated or oversized field");
  }
  if (!r.at_end()) {
    return bad("trailing bytes");
  }
  return entry;
}

} // namespace sealexec::cache
