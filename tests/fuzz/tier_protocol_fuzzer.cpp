// Feeds arbitrary bytes to both decoders of the memory tier's messages
// (image/tier_protocol.h): a client's request as the server reads it, and
// the server's reply as a client reads it. Whatever decodes must encode back
// to the same bytes, since a message is exactly what a writer wrote.
#include "sealexec/image/tier_protocol.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const auto bytes = std::as_bytes(std::span(data, size));
  if (const auto request = decode_request(bytes)) {
    const auto again = encode(*request);
    if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()) ||
        request->key.name.find('/') != std::string::npos) {
      std::abort();
    }
  }
  if (const auto reply = decode_reply(bytes)) {
    const auto again = encode(*reply);
    if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) {
      std::abort();
    }
  }
  return 0;
}
