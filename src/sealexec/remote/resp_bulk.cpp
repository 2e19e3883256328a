#include "sealexec/remote/resp_bulk.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace sealexec::remote {

BulkHeader parse_bulk_header(std::span<const std::byte> received) {
  using Kind = BulkHeader::Kind;
  if (received.empty()) {
    return {};
  }
  if (received[0] != std::byte{'$'}) {
    return {.kind = Kind::other};
  }
  const std::string_view text(reinterpret_cast<const char*>(received.data()),
                              std::min(received.size(), k_max_bulk_header));
  const std::size_t cr = text.find('\r');
  if (cr == std::string_view::npos) {
    return {.kind = received.size() >= k_max_bulk_header ? Kind::malformed : Kind::incomplete};
  }
  if (cr + 1 == text.size()) {
    return {.kind = text.size() == k_max_bulk_header ? Kind::malformed : Kind::incomplete};
  }
  if (text[cr + 1] != '\n') {
    return {.kind = Kind::malformed};
  }
  const std::string_view digits = text.substr(1, cr - 1);
  const std::size_t header_size = cr + 2;
  if (digits == "-1") {
    return {.kind = Kind::nil, .header_size = header_size};
  }
  std::uint64_t length = 0;
  if (digits.empty() || digits.size() > 20 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return {.kind = Kind::malformed};
  }
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
  if (error != std::errc{} || end != digits.data() + digits.size()) {
    return {.kind = Kind::malformed};
  }
  return {.kind = Kind::value, .header_size = header_size, .length = length};
}

} // namespace sealexec::remote
