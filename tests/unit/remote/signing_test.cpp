#include "sealexec/remote/signing.h"

#include "sealexec/util/record.h"

#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sealexec::remote {
namespace {

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto view = std::as_bytes(std::span(text.data(), text.size()));
  return {view.begin(), view.end()};
}

Sha256Digest key_numbered(std::uint8_t n) {
  Sha256Digest key;
  key.bytes.fill(n);
  return key;
}

TEST(Signing, SignedEntryOpensWithTheTrustedKey) {
  auto key = SigningKey::generate("ci");
  ASSERT_TRUE(key) << key.error().message();
  const auto entry = bytes_of("an action entry");
  const auto envelope = sign_entry(key_numbered(1), entry, *key);
  const PublicKey trusted[] = {key->public_key()};
  const auto opened = open_signed_entry(key_numbered(1), envelope, trusted, "remote");
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(*opened, entry);
}

TEST(Signing, UntrustedSignerIsRejected) {
  auto ours = SigningKey::generate("ours");
  auto theirs = SigningKey::generate("theirs");
  ASSERT_TRUE(ours && theirs);
  const auto envelope = sign_entry(key_numbered(1), bytes_of("x"), *theirs);
  const PublicKey trusted[] = {ours->public_key()};
  const auto opened = open_signed_entry(key_numbered(1), envelope, trusted, "remote");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::policy);
  EXPECT_NE(opened.error().reason.find("untrusted"), std::string::npos);
}

TEST(Signing, NoTrustedKeysRejectsEverything) {
  auto key = SigningKey::generate("k");
  ASSERT_TRUE(key);
  const auto envelope = sign_entry(key_numbered(1), bytes_of("x"), *key);
  EXPECT_FALSE(open_signed_entry(key_numbered(1), envelope, {}, "remote"));
}

TEST(Signing, EntryMovedToAnotherActionKeyIsRejected) {
  auto key = SigningKey::generate("k");
  ASSERT_TRUE(key);
  const auto envelope = sign_entry(key_numbered(1), bytes_of("x"), *key);
  const PublicKey trusted[] = {key->public_key()};
  const auto opened = open_signed_entry(key_numbered(2), envelope, trusted, "remote");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::policy);
}

TEST(Signing, ForgedEntryUnderATrustedKeyIsRejected) {
  // An attacker who swaps the entry keeps the trusted signer's public key
  // and signature, and fixes up the envelope's checksum: the signature fails.
  auto key = SigningKey::generate("k");
  ASSERT_TRUE(key);
  const auto good = sign_entry(key_numbered(1), bytes_of("genuine entry"), *key);
  auto attacker = SigningKey::generate("attacker");
  ASSERT_TRUE(attacker);
  auto forged = sign_entry(key_numbered(1), bytes_of("evil!!! entry"), *attacker);
  // Public key and signature sit after the 12-byte magic and version.
  std::copy(good.begin() + 12, good.begin() + 12 + 32 + 64, forged.begin() + 12);
  // Recompute the envelope checksum so that only the signature can object.
  const std::span body(forged.data(), forged.size() - 16);
  const Xxh3Digest checksum = xxh3_128(body);
  std::memcpy(forged.data() + body.size(), checksum.bytes.data(), 16);
  const PublicKey trusted[] = {key->public_key()};
  const auto opened = open_signed_entry(key_numbered(1), forged, trusted, "remote");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::policy);
  EXPECT_NE(opened.error().reason.find("does not verify"), std::string::npos);
}

TEST(Signing, DamagedEnvelopeIsMalformed) {
  auto key = SigningKey::generate("k");
  ASSERT_TRUE(key);
  auto envelope = sign_entry(key_numbered(1), bytes_of("entry"), *key);
  const PublicKey trusted[] = {key->public_key()};
  for (std::size_t i = 0; i < envelope.size(); ++i) {
    auto damaged = envelope;
    damaged[i] ^= std::byte{1};
    const auto opened = open_signed_entry(key_numbered(1), damaged, trusted, "remote");
    ASSERT_FALSE(opened) << i;
  }
  envelope.resize(envelope.size() - 1);
  EXPECT_EQ(open_signed_entry(key_numbered(1), envelope, trusted, "r").error().code,
            Errc::malformed);
}

// An unsigned envelope as sealexec wrote it before unsigned entries were
// bound to their key: zeros where the signer and the signature go.
std::vector<std::byte> legacy_unsigned_entry(std::span<const std::byte> entry) {
  RecordWriter w("SEALXSG\n", 1);
  const std::array<std::byte, 32 + 64> zeros{};
  w.bytes(zeros);
  w.u32(static_cast<std::uint32_t>(entry.size()));
  w.bytes(entry);
  return std::move(w).finish();
}

TEST(UnsignedEntries, OpenOnlyUnderTheirOwnKey) {
  const auto entry = bytes_of("an action entry");
  const auto envelope = unsigned_entry(key_numbered(1), entry);
  const auto opened = open_unverified_entry(key_numbered(1), envelope, "remote");
  ASSERT_OK(opened);
  EXPECT_EQ(*opened, entry);
  // Copied over another key's entry (or renamed): rejected, not served.
  const auto moved = open_unverified_entry(key_numbered(2), envelope, "remote");
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::policy);
  EXPECT_NE(moved.error().reason.find("not bound to this key"), std::string::npos);
  // Still unsigned to a reader that trusts keys.
  auto key = SigningKey::generate("k");
  ASSERT_TRUE(key);
  const PublicKey trusted[] = {key->public_key()};
  const auto checked = open_signed_entry(key_numbered(1), envelope, trusted, "remote");
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().reason.find("not signed"), std::string::npos);
}

TEST(UnsignedEntries, KeepTheLayoutOlderReadersRead) {
  // Readers before the binding skip the 96 bytes of signer and signature
  // and read the entry after them: the key goes where they do not look.
  const auto entry = bytes_of("entry");
  const auto envelope = unsigned_entry(key_numbered(9), entry);
  const auto legacy = legacy_unsigned_entry(entry);
  ASSERT_EQ(envelope.size(), legacy.size());
  EXPECT_TRUE(std::equal(envelope.begin(), envelope.begin() + 12 + 32, legacy.begin()));
  EXPECT_EQ(std::memcmp(envelope.data() + 12 + 32, key_numbered(9).bytes.data(), 32), 0);
  const std::size_t after = 12 + 32 + 64;
  EXPECT_TRUE(std::equal(envelope.begin() + after, envelope.end() - 16, legacy.begin() + after));
}

TEST(UnsignedEntries, ThoseBoundToNoKeyAreRejected) {
  const auto legacy = legacy_unsigned_entry(bytes_of("entry"));
  const auto opened = open_unverified_entry(key_numbered(1), legacy, "remote");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::policy);
  EXPECT_NE(opened.error().reason.find("bound to no key"), std::string::npos);
}

TEST(UnsignedEntries, ASignedEntryReadInsecurelyIsStillBoundToItsKey) {
  // No trust is checked (the reader opted out), but the signature says
  // which key the entry was made for.
  auto key = SigningKey::generate("anyone");
  ASSERT_TRUE(key);
  const auto envelope = sign_entry(key_numbered(1), bytes_of("x"), *key);
  const auto opened = open_unverified_entry(key_numbered(1), envelope, "remote");
  ASSERT_OK(opened);
  EXPECT_EQ(*opened, bytes_of("x"));
  const auto moved = open_unverified_entry(key_numbered(2), envelope, "remote");
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::policy);
  EXPECT_NE(moved.error().reason.find("does not verify"), std::string::npos);
}

TEST(UnsignedEntries, DamagedEnvelopeIsMalformed) {
  auto envelope = unsigned_entry(key_numbered(1), bytes_of("entry"));
  for (std::size_t i = 0; i < envelope.size(); ++i) {
    auto damaged = envelope;
    damaged[i] ^= std::byte{1};
    ASSERT_FALSE(open_unverified_entry(key_numbered(1), damaged, "remote")) << i;
  }
}

TEST(KeyFiles, KeygenWritesPrivateAndPublicFilesThatLoadBack) {
  test::TempDir dir;
  const auto written = write_key_pair(dir / "team");
  ASSERT_TRUE(written) << written.error().message();
  struct stat st {};
  ASSERT_EQ(::stat((dir / "team.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  const auto secret = load_signing_key(dir / "team.key");
  ASSERT_TRUE(secret) << secret.error().message();
  const auto pub = load_public_key(dir / "team.pub");
  ASSERT_TRUE(pub) << pub.error().message();
  EXPECT_EQ(pub->name, "team");
  EXPECT_EQ(secret->public_key(), *pub);
  EXPECT_EQ(*written, *pub);
  // What one signs, the other verifies.
  const auto envelope = sign_entry(key_numbered(7), bytes_of("e"), *secret);
  const PublicKey trusted[] = {*pub};
  EXPECT_TRUE(open_signed_entry(key_numbered(7), envelope, trusted, "r"));
}

TEST(KeyFiles, KeygenNeverReplacesAFile) {
  test::TempDir dir;
  std::ofstream(dir / "team.pub") << "precious";
  const auto written = write_key_pair(dir / "team");
  ASSERT_FALSE(written);
  EXPECT_FALSE(std::filesystem::exists(dir / "team.key")); // nothing half-written
  std::stringstream content;
  content << std::ifstream(dir / "team.pub").rdbuf();
  EXPECT_EQ(content.str(), "precious");
}

TEST(KeyFiles, PrivateKeyReadableByOthersIsRefused) {
  test::TempDir dir;
  ASSERT_TRUE(write_key_pair(dir / "team"));
  ASSERT_EQ(::chmod((dir / "team.key").c_str(), 0640), 0);
  const auto secret = load_signing_key(dir / "team.key");
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().code, Errc::policy);
  EXPECT_NE(secret.error().reason.find("chmod 600"), std::string::npos);
}

TEST(KeyFiles, InconsistentSecretKeyIsRefused) {
  auto key = SigningKey::generate("k");
  ASSERT_TRUE(key);
  std::string text = key->to_file_text();
  // Change one digit of the embedded public half (the last 64 hex digits).
  const std::size_t digit = text.size() - 2;
  text[digit] = text[digit] == '0' ? '1' : '0';
  EXPECT_FALSE(SigningKey::from_file_text(text, "k.key"));
}

TEST(KeyFiles, MalformedPublicKeysAreRefused) {
  const std::string hex(64, 'a');
  EXPECT_TRUE(parse_public_key("sealexec-ed25519-public v1 n " + hex + "\n", "f"));
  for (const std::string text :
       {std::string("sealexec-ed25519-public v1 n ") + hex.substr(2),
        std::string("sealexec-ed25519-public v2 n ") + hex,
        std::string("sealexec-ed25519-secret v1 n ") + hex,
        std::string("sealexec-ed25519-public v1 bad/name ") + hex,
        std::string("sealexec-ed25519-public v1 n ") + hex + " extra",
        std::string("sealexec-ed25519-public v1 n ") + hex + "\n\n", std::string()}) {
    const auto key = parse_public_key(text, "f");
    ASSERT_FALSE(key) << text;
    EXPECT_EQ(key.error().code, Errc::malformed);
  }
}

} // namespace
} // namespace sealexec::remote
