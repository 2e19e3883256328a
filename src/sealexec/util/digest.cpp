#include "sealexec/util/digest.h"

#include "sealexec/util/hex.h"

#include <openssl/evp.h>
#include <xxhash.h>

#include <cstring>
#include <new>

namespace sealexec {

struct Xxh3Hasher::State {
  XXH3_state_t* xxh = XXH3_createState();
  State() {
    if (xxh == nullptr) {
      throw std::bad_alloc();
    }
    XXH3_128bits_reset(xxh);
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { XXH3_freeState(xxh); }
};

Xxh3Hasher::Xxh3Hasher() : m_state(std::make_unique<State>()) {}
Xxh3Hasher::Xxh3Hasher(Xxh3Hasher&&) noexcept = default;
Xxh3Hasher& Xxh3Hasher::operator=(Xxh3Hasher&&) noexcept = default;
Xxh3Hasher::~Xxh3Hasher() = default;

void Xxh3Hasher::update(std::span<const std::byte> data) {
  XXH3_128bits_update(m_state->xxh, data.data(), data.size());
}

namespace {
Xxh3Digest canonical(XXH128_hash_t hash) {
  XXH128_canonical_t canonical_form;
  XXH128_canonicalFromHash(&canonical_form, hash);
  Xxh3Digest digest;
  static_assert(sizeof(canonical_form.digest) == sizeof(digest.bytes));
  std::memcpy(digest.bytes.data(), canonical_form.digest, digest.bytes.size());
  return digest;
}
} // namespace

Xxh3Digest Xxh3Hasher::digest() const { return canonical(XXH3_128bits_digest(m_state->xxh)); }

Xxh3Digest xxh3_128(std::span<const std::byte> data) {
  return canonical(XXH3_128bits(data.data(), data.size()));
}

std::string Xxh3Digest::hex() const { return to_hex(bytes); }

std::string Sha256Digest::hex() const { return to_hex(bytes); }

std::optional<Sha256Digest> Sha256Digest::from_hex(std::string_view text) {
  auto bytes = sealexec::from_hex(text);
  if (!bytes || bytes->size() != 32) {
    return std::nullopt;
  }
  Sha256Digest digest;
  std::memcpy(digest.bytes.data(), bytes->data(), digest.bytes.size());
  return digest;
}

Expected<Sha256Digest> sha256(std::span<const std::byte> data) {
  Sha256Digest digest;
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.bytes.data(), &length, EVP_sha256(), nullptr) !=
          1 ||
      length != digest.bytes.size()) {
    return fail(make_error(Errc::system, "", "OpenSSL could not compute SHA-256"));
  }
  return digest;
}

} // namespace sealexec
