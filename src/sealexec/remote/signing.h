// Ed25519 signatures on action entries that travel through a shared remote
// tier (docs/remote.md). A shared cache of executable code is a shared way
// to run code on every machine that reads it, so an entry from a remote is
// used only when one of the reader's trusted keys signed it, for that very
// action key. Blobs need no signature: a signed entry names their SHA-256.
//
// Key files are one line of text, easy to mail and to check in:
//   NAME.pub  "sealexec-ed25519-public v1 NAME <64 hex>"
//   NAME.key  "sealexec-ed25519-secret v1 NAME <128 hex>"  (mode 0600, refused otherwise)
#pragma once

#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::remote {

inline constexpr std::size_t k_max_key_name = 128;

struct PublicKey {
  std::array<std::uint8_t, 32> bytes{};
  std::string name;
  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

class SigningKey {
public:
  // A new random key pair named `name` (letters, digits, '.', '_', '-').
  [[nodiscard]] static Expected<SigningKey> generate(std::string_view name);
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&&) = delete;
  // The secret is wiped from memory.
  ~SigningKey();

  [[nodiscard]] const PublicKey& public_key() const { return m_public; }
  // The detached signature of `message`.
  [[nodiscard]] std::array<std::uint8_t, 64> sign(std::span<const std::byte> message) const;

  [[nodiscard]] std::string to_file_text() const;
  [[nodiscard]] static Expected<SigningKey> from_file_text(std::string_view text,
                                                           std::string_view file);

private:
  SigningKey() = default;
  std::array<std::uint8_t, 64> m_secret{};
  PublicKey m_public;
};

[[nodiscard]] std::string public_key_file_text(const PublicKey& key);
[[nodiscard]] Expected<PublicKey> parse_public_key(std::string_view text, std::string_view file);

// Writes `base`.key (0600) and `base`.pub (0644) for a new key pair named
// after base's file name. Never replaces an existing file.
[[nodiscard]] Expected<PublicKey> write_key_pair(const std::filesystem::path& base);

// Whether a key file could be loaded, from its status alone (no reading,
// no cryptography): what `secret` files must satisfy, and that it exists.
[[nodiscard]] Expected<void> check_key_file(const std::filesystem::path& file, bool secret);

// Reads a private key file, refusing one that others could read or that
// another user owns (as ssh does).
[[nodiscard]] Expected<SigningKey> load_signing_key(const std::filesystem::path& file);
[[nodiscard]] Expected<PublicKey> load_public_key(const std::filesystem::path& file);

// What travels for an action entry: the signer's public key, the signature
// and the entry's bytes. The signature covers a domain tag, the action key
// and the entry, so a signed entry cannot be replayed under another key.
[[nodiscard]] std::vector<std::byte> sign_entry(const Sha256Digest& action_key,
                                                std::span<const std::byte> entry,
                                                const SigningKey& key);

// The same envelope without a signature, for a writer without a key whose
// readers opted out of checking (--insecure-remote): an all-zero signer,
// and where the signature would be, `action_key` and a tag, so that the
// entry is bound to its key like a signed one (readers of sealexec before
// this binding ignore that field, and still read it). Unsigned envelopes of
// those versions hold zeros there, bound to nothing.
[[nodiscard]] std::vector<std::byte> unsigned_entry(const Sha256Digest& action_key,
                                                    std::span<const std::byte> entry);

// The entry's bytes from a well-formed envelope for `action_key`, whose
// signer is not checked against any trust: only for readers that opted out
// (--insecure-remote). What binds the entry to its key is still checked: an
// unsigned envelope must carry `action_key`, a signed one's signature must
// verify for `action_key` with the public key it names. Errc::malformed for
// anything that is not an envelope; Errc::policy ("rejected") for an
// envelope of another key, or an unsigned one bound to no key.
[[nodiscard]] Expected<std::vector<std::byte>> open_unverified_entry(
    const Sha256Digest& action_key, std::span<const std::byte> envelope, std::string_view name);

// The entry's bytes, if `envelope` is well formed and signed for
// `action_key` by one of `trusted`. Errc::malformed for anything that is
// not an envelope; Errc::policy ("rejected") for an unknown signer or a
// signature that does not verify.
[[nodiscard]] Expected<std::vector<std::byte>> open_signed_entry(
    const Sha256Digest& action_key, std::span<const std::byte> envelope,
    std::span<const PublicKey> trusted, std::string_view name);

} // namespace sealexec::remote
