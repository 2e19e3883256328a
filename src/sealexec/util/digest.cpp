#include "sealexec/util/digest.h"

#include "sealexec/util/hex.h"

// OpenSSL's low-level SHA256_Init/Update/Final are deprecated since 3.0 in
// favour of EVP, but EVP pulls the whole provider machinery into a static
// binary: 5 MB, ~20,000 start-up relocations and a CPU probe, which made the
// static CLI take 0.4 ms longer to start than the program it runs
// (docs/benchmarks.md). The low-level functions use the same SHA-NI code and
// link in 800 KB. Should a future OpenSSL remove them, EVP_Digest is the
// replacement, at that start-up cost.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
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

struct Sha256Hasher::State {
  SHA256_CTX context{};
};

Sha256Hasher::Sha256Hasher() : m_state(std::make_unique<State>()) {
  // SHA256_Init cannot fail: it only sets the initial hash values.
  SHA256_Init(&m_state->context);
}
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;
Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::update(std::span<const std::byte> data) {
  SHA256_Update(&m_state->context, data.data(), data.size());
}

Sha256Digest Sha256Hasher::digest() const {
  SHA256_CTX finished = m_state->context; // Final destroys the context
  Sha256Digest digest;
  SHA256_Final(digest.bytes.data(), &finished);
  return digest;
}

Sha256Digest sha256(std::span<const std::byte> data) {
  Sha256Hasher hasher;
  hasher.update(data);
  return hasher.digest();
}

} // namespace sealexec
