#include "sealexec/remote/http_channel.h"

#include <cstring>

namespace sealexec::remote {

namespace {

constexpr std::array<char, 4> k_request_magic{'S', 'X', 'Q', '1'};
constexpr std::array<char, 4> k_response_magic{'S', 'X', 'R', '1'};

class Writer {
public:
  explicit Writer(std::span<std::byte> out) : m_out(out) {}
  void bytes(std::span<const std::byte> bytes) {
    std::memcpy(m_out.data() + m_at, bytes.data(), bytes.size());
    m_at += bytes.size();
  }
  void u8(std::uint8_t value) { m_out[m_at++] = std::byte{value}; }
  void le(std::uint64_t value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
      m_out[m_at++] = std::byte{static_cast<std::uint8_t>(value >> (8 * i))};
    }
  }

private:
  std::span<std::byte> m_out;
  std::size_t m_at = 0;
};

// Reads a fixed-size header whose size the caller has checked.
class Reader {
public:
  explicit Reader(std::span<const std::byte> in) : m_in(in) {}
  [[nodiscard]] std::span<const std::byte> bytes(std::size_t n) {
    const auto part = m_in.subspan(m_at, n);
    m_at += n;
    return part;
  }
  [[nodiscard]] std::uint8_t u8() { return std::to_integer<std::uint8_t>(m_in[m_at++]); }
  [[nodiscard]] std::uint64_t le(std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value |= std::uint64_t{std::to_integer<std::uint8_t>(m_in[m_at++])} << (8 * i);
    }
    return value;
  }

private:
  std::span<const std::byte> m_in;
  std::size_t m_at = 0;
};

bool has_magic(Reader& reader, const std::array<char, 4>& magic) {
  const auto got = reader.bytes(magic.size());
  return std::memcmp(got.data(), magic.data(), magic.size()) == 0;
}

Error bad(std::string_view why) {
  return make_error(Errc::malformed, "sealexec-remote-http", why);
}

} // namespace

std::array<std::byte, k_request_header_size> encode(const HelperRequest& request) {
  std::array<std::byte, k_request_header_size> out{};
  Writer w(out);
  w.bytes(std::as_bytes(std::span(k_request_magic)));
  w.u8(static_cast<std::uint8_t>(request.method));
  w.u8(request.space == Namespace::ac ? 0 : 1);
  w.bytes(std::as_bytes(std::span(request.name.bytes)));
  w.le(request.max_size, 8);
  w.le(request.body_size, 8);
  return out;
}

std::array<std::byte, k_response_header_size> encode(const HelperResponse& response) {
  std::array<std::byte, k_response_header_size> out{};
  Writer w(out);
  w.bytes(std::as_bytes(std::span(k_response_magic)));
  w.u8(static_cast<std::uint8_t>(response.outcome));
  w.le(response.message_size, 4);
  w.le(response.body_size, 8);
  return out;
}

Expected<HelperRequest> decode_request(std::span<const std::byte> header) {
  if (header.size() != k_request_header_size) {
    return fail(bad("request header of the wrong size"));
  }
  Reader r(header);
  if (!has_magic(r, k_request_magic)) {
    return fail(bad("not a request"));
  }
  HelperRequest request;
  const std::uint8_t method = r.u8();
  const std::uint8_t space = r.u8();
  if (method < 1 || method > 3 || space > 1) {
    return fail(bad("unknown method or namespace"));
  }
  request.method = static_cast<HelperRequest::Method>(method);
  request.space = space == 0 ? Namespace::ac : Namespace::cas;
  const auto name = r.bytes(request.name.bytes.size());
  std::memcpy(request.name.bytes.data(), name.data(), name.size());
  request.max_size = r.le(8);
  request.body_size = r.le(8);
  if (request.max_size > k_max_transfer_size || request.body_size > k_max_transfer_size ||
      (request.method != HelperRequest::Method::put && request.body_size != 0)) {
    return fail(bad("request sizes out of bounds"));
  }
  return request;
}

Expected<HelperResponse> decode_response(std::span<const std::byte> header) {
  if (header.size() != k_response_header_size) {
    return fail(bad("response header of the wrong size"));
  }
  Reader r(header);
  if (!has_magic(r, k_response_magic)) {
    return fail(bad("not a response"));
  }
  HelperResponse response;
  const std::uint8_t outcome = r.u8();
  if (outcome > 4) {
    return fail(bad("unknown outcome"));
  }
  response.outcome = static_cast<HelperResponse::Outcome>(outcome);
  response.message_size = static_cast<std::uint32_t>(r.le(4));
  response.body_size = r.le(8);
  if (response.message_size > k_max_helper_message || response.body_size > k_max_transfer_size ||
      (response.outcome != HelperResponse::Outcome::found && response.body_size != 0)) {
    return fail(bad("response sizes out of bounds"));
  }
  return response;
}

} // namespace sealexec::remote
