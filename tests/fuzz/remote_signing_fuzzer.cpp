// Feeds arbitrary bytes to what a remote tier hands us (signed entry
// envelopes) and to the key-file parsers. Whatever opens must be exactly
// what the one trusted key signed; a key file that parses must survive being
// written out and read again.
#include "sealexec/remote/signing.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

namespace {

const sealexec::remote::SigningKey& trusted_key() {
  static const auto key = sealexec::remote::SigningKey::generate("fuzz");
  if (!key) {
    std::abort();
  }
  return *key;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const auto bytes = std::as_bytes(std::span(data, size));
  const remote::PublicKey trusted[] = {trusted_key().public_key()};
  Sha256Digest action_key;
  action_key.bytes.fill(0x5a);
  if (const auto entry = remote::open_signed_entry(action_key, bytes, trusted, "fuzz")) {
    // Only what the trusted key signed can open; re-signing it must give
    // back these very bytes (Ed25519 signatures are deterministic).
    if (remote::sign_entry(action_key, *entry, trusted_key()) !=
        std::vector<std::byte>(bytes.begin(), bytes.end())) {
      std::abort();
    }
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto key = remote::parse_public_key(text, "fuzz")) {
    // Hex digits may come in either case; what was parsed must survive
    // being written out and read again.
    const auto again = remote::parse_public_key(remote::public_key_file_text(*key), "again");
    if (!again || *again != *key) {
      std::abort();
    }
  }
  (void)remote::SigningKey::from_file_text(text, "fuzz");
  return 0;
}
