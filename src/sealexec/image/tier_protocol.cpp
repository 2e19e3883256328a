#include "sealexec/image/tier_protocol.h"

#include "sealexec/util/record.h"

namespace sealexec {

namespace {

constexpr std::string_view k_request_magic = "SXTIERQ\n";
constexpr std::string_view k_reply_magic = "SXTIERR\n";
constexpr std::uint32_t k_version = 1;

void write_key(RecordWriter& out, const TierKey& key) {
  out.u32(static_cast<std::uint32_t>(key.kind));
  out.u64(static_cast<std::uint64_t>(key.file.device));
  out.u64(static_cast<std::uint64_t>(key.file.inode));
  out.u64(static_cast<std::uint64_t>(key.file.size));
  out.u64(static_cast<std::uint64_t>(key.file.mtime_sec));
  out.u64(static_cast<std::uint64_t>(key.file.mtime_nsec));
  out.u64(static_cast<std::uint64_t>(key.file.ctime_sec));
  out.u64(static_cast<std::uint64_t>(key.file.ctime_nsec));
  out.u64(key.mount_id);
  out.bytes(std::as_bytes(std::span(key.digest.bytes)));
  out.u64(key.size);
  out.u32(key.executable == Executable::yes ? 1 : 0);
  out.text(key.name);
}

template <typename T>
bool read_signed(RecordReader& in, T& value) {
  std::uint64_t raw = 0;
  if (!in.u64(raw)) {
    return false;
  }
  value = static_cast<T>(raw);
  return true;
}

bool read_key(RecordReader& in, TierKey& key) {
  std::uint32_t kind = 0;
  std::uint32_t executable = 0;
  if (!in.u32(kind) || (kind != 1 && kind != 2)) {
    return false;
  }
  key.kind = static_cast<TierKey::Kind>(kind);
  if (!read_signed(in, key.file.device) || !read_signed(in, key.file.inode) ||
      !read_signed(in, key.file.size) || !read_signed(in, key.file.mtime_sec) ||
      !read_signed(in, key.file.mtime_nsec) || !read_signed(in, key.file.ctime_sec) ||
      !read_signed(in, key.file.ctime_nsec) || !in.u64(key.mount_id) || !in.bytes(std::as_writable_bytes(std::span(key.digest.bytes))) ||
      !in.u64(key.size) || !in.u32(executable) || executable > 1 ||
      !in.text(key.name, k_memfd_name_max)) {
    return false;
  }
  key.executable = executable == 1 ? Executable::yes : Executable::no;
  // A name is one path component, as the memfd's basename must be (empty
  // only in a status request, which names no image).
  return key.name.find('/') == std::string::npos && key.name.find('\0') == std::string::npos;
}

} // namespace

std::string TierKey::bytes() const {
  RecordWriter out("SXTIERK\n", k_version);
  write_key(out, *this);
  const std::vector<std::byte> record = std::move(out).finish();
  return {reinterpret_cast<const char*>(record.data()), record.size()};
}

std::vector<std::byte> encode(const TierRequest& request) {
  RecordWriter out(k_request_magic, k_version);
  out.u32(static_cast<std::uint32_t>(request.op));
  write_key(out, request.key);
  out.bytes(std::as_bytes(std::span(request.digest.bytes)));
  return std::move(out).finish();
}

std::vector<std::byte> encode(const TierReply& reply) {
  RecordWriter out(k_reply_magic, k_version);
  out.u32(reply.found ? 1 : 0);
  out.bytes(std::as_bytes(std::span(reply.digest.bytes)));
  out.text(reply.status);
  return std::move(out).finish();
}

std::optional<TierRequest> decode_request(std::span<const std::byte> message) {
  std::string why;
  auto in = RecordReader::open(message, k_request_magic, k_version, k_tier_message_max, why);
  if (!in) {
    return std::nullopt;
  }
  TierRequest request;
  std::uint32_t op = 0;
  if (!in->u32(op) || op < 1 || op > 3 || !read_key(*in, request.key) ||
      !in->bytes(std::as_writable_bytes(std::span(request.digest.bytes))) || !in->at_end()) {
    return std::nullopt;
  }
  request.op = static_cast<TierOp>(op);
  if (request.op != TierOp::status && request.key.name.empty()) {
    return std::nullopt;
  }
  return request;
}

std::optional<TierReply> decode_reply(std::span<const std::byte> message) {
  std::string why;
  auto in = RecordReader::open(message, k_reply_magic, k_version, k_tier_message_max, why);
  if (!in) {
    return std::nullopt;
  }
  TierReply reply;
  std::uint32_t found = 0;
  if (!in->u32(found) || found > 1 || !in->bytes(std::as_writable_bytes(std::span(reply.digest.bytes))) ||
      !in->text(reply.status, 512) || !in->at_end()) {
    return std::nullopt;
  }
  reply.found = found == 1;
  return reply;
}

} // namespace sealexec
