// Feeds arbitrary bytes to what a remote tier hands us (signed entry
// envelopes) and to the key-file parsers. Whatever opens must be exactly
// what the one trusted key signed; what opens without trust must be bound to
// the one key it is read for; a key file that parses must survive being
// written out and read again.
#include "sealexec/remote/signing.h"

#include <algorithm>
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
  if (const auto entry = remote::open_unverified_entry(action_key, bytes, "fuzz")) {
    // Read without trust, an entry is still bound to this key: unsigned
    // (no signer after the 12 bytes of magic and version), it is exactly
    // what unsigned_entry writes for this key; signed, its own signer's
    // signature verifies for this key, so no other key opens it.
    const bool unsigned_one =
        std::all_of(data + 12, data + 12 + 32, [](std::uint8_t b) { return b == 0; });
    if (unsigned_one && remote::unsigned_entry(action_key, *entry) !=
                            std::vector<std::byte>(bytes.begin(), bytes.end())) {
      std::abort();
    }
    Sha256Digest other_key = action_key;
    other_key.bytes[0] ^= 1;
    if (remote::open_unverified_entry(other_key, bytes, "fuzz")) {
      std::abort(); // one envelope, two keys
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
