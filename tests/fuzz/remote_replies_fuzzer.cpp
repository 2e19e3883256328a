// What the remote tier reads that it did not write itself in this process:
// the HTTP helper's frame headers (carrying a server's sizes), the header of
// a Redis bulk reply (which we parse ourselves) and the per-backend
// statistics file. Accepted headers must be within their limits;
// statistics lines must sum without overflow traps or crashes.
#include "sealexec/remote/http_channel.h"
#include "sealexec/remote/remote_stats.h"
#include "sealexec/remote/resp_bulk.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec::remote;
  const auto bytes = std::as_bytes(std::span(data, size));
  if (size >= k_request_header_size) {
    if (const auto request = decode_request(bytes.first(k_request_header_size))) {
      if (request->max_size > k_max_transfer_size || request->body_size > k_max_transfer_size) {
        std::abort();
      }
      // What was accepted encodes back to the same header.
      const auto again = encode(*request);
      if (!std::equal(again.begin(), again.end(), bytes.begin())) {
        std::abort();
      }
    }
  }
  if (size >= k_response_header_size) {
    if (const auto response = decode_response(bytes.first(k_response_header_size))) {
      if (response->message_size > k_max_helper_message ||
          response->body_size > k_max_transfer_size) {
        std::abort();
      }
    }
  }
  // A header that parses lies within what was given and within its bound.
  const BulkHeader bulk = parse_bulk_header(bytes);
  if ((bulk.kind == BulkHeader::Kind::value || bulk.kind == BulkHeader::Kind::nil) &&
      (bulk.header_size > size || bulk.header_size > k_max_bulk_header ||
       bytes[bulk.header_size - 1] != std::byte{'\n'})) {
    std::abort();
  }
  BackendTotals totals;
  add_backend_counters(totals, std::string_view(reinterpret_cast<const char*>(data), size));
  for (const auto& [name, counters] : totals) {
    if (name.empty() || name.find('\n') != std::string::npos) {
      std::abort();
    }
    (void)counters;
  }
  return 0;
}
