#include "sealexec/remote/signing.h"

#include "sealexec/cache/action_entry.h"
#include "sealexec/util/fd.h"
#include "sealexec/util/hex.h"
#include "sealexec/util/record.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <optional>

namespace sealexec::remote {

namespace {

constexpr std::string_view k_public_tag = "sealexec-ed25519-public";
constexpr std::string_view k_secret_tag = "sealexec-ed25519-secret";
constexpr std::string_view k_file_version = "v1";
constexpr std::string_view k_envelope_magic = "SEALXSG\n";
constexpr std::uint32_t k_envelope_version = 1;
// Signed messages start with this, so that a signature made for an entry
// can never pass for one over anything else.
constexpr std::string_view k_domain{"sealexec-signed-action-entry-v1\0", 32};
constexpr std::size_t k_max_key_file = 4096;

static_assert(crypto_sign_PUBLICKEYBYTES == 32 && crypto_sign_SECRETKEYBYTES == 64 &&
              crypto_sign_BYTES == 64);

// libsodium picks its implementations by CPU on first use. That probe costs
// CPUID instructions (slow on VMs), so it runs only when a key is used.
Expected<void> ensure_sodium() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] { result = ::sodium_init(); });
  if (result < 0) {
    return fail(make_error(Errc::system, "libsodium", "cannot initialise"));
  }
  return {};
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > k_max_key_name) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

// "TAG v1 NAME HEX" with one optional trailing newline, nothing else.
struct KeyLine {
  std::string name;
  std::vector<std::uint8_t> bytes;
};
Expected<KeyLine> parse_key_line(std::string_view text, std::string_view tag,
                                 std::size_t key_size, std::string_view file) {
  auto bad = [file](std::string_view why) {
    return fail(make_error(Errc::malformed, file, fmt::format("not a sealexec key file: {}", why)));
  };
  if (text.size() > k_max_key_file) {
    return bad("too large");
  }
  if (text.ends_with('\n')) {
    text.remove_suffix(1);
  }
  std::vector<std::string_view> words;
  while (!text.empty()) {
    const std::size_t blank = text.find(' ');
    words.push_back(text.substr(0, blank));
    text = blank == std::string_view::npos ? std::string_view() : text.substr(blank + 1);
  }
  if (words.size() != 4 || words[0] != tag) {
    return bad(fmt::format("expected '{} {} NAME HEX' on one line", tag, k_file_version));
  }
  if (words[1] != k_file_version) {
    return bad(fmt::format("unsupported version '{}'", words[1]));
  }
  if (!valid_name(words[2])) {
    return bad("the name must be 1 to 128 letters, digits, '.', '_' or '-'");
  }
  auto bytes = from_hex(words[3]);
  if (!bytes || bytes->size() != key_size) {
    return bad(fmt::format("the key must be {} hexadecimal digits", key_size * 2));
  }
  return KeyLine{std::string(words[2]), std::move(*bytes)};
}

// What makes a key file unusable, judged from its status alone.
std::optional<Error> key_file_problem(const struct stat& st, const std::string& name,
                                      bool secret) {
  if (!S_ISREG(st.st_mode)) {
    return make_error(Errc::malformed, name, "is not a regular file");
  }
  if (secret && ((st.st_mode & 0077) != 0 || st.st_uid != ::geteuid())) {
    return make_error(Errc::policy, name,
                      fmt::format("is a private key that {} (mode {:04o}); chmod 600 it",
                                  st.st_uid != ::geteuid() ? "another user owns"
                                                           : "others can read",
                                  st.st_mode & 07777));
  }
  return std::nullopt;
}

Expected<std::string> read_key_file(const std::filesystem::path& file, bool secret) {
  const std::string name = file.string();
  auto opened = open_fd(name.c_str(), O_RDONLY | O_NOFOLLOW);
  if (!opened) {
    Error error = std::move(opened).error();
    if (error.sys_errno == ENOENT) {
      error.code = Errc::not_found;
    }
    return fail(std::move(error));
  }
  struct stat st {};
  if (::fstat(opened->get(), &st) != 0) {
    return fail(system_error("cannot inspect", name, "fstat"));
  }
  if (auto problem = key_file_problem(st, name, secret)) {
    return fail(std::move(*problem));
  }
  std::string text(k_max_key_file + 1, '\0');
  std::size_t used = 0;
  for (ssize_t got = 0;
       used < text.size() && (got = ::read(opened->get(), text.data() + used, text.size() - used)) != 0;) {
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot read", name, "read"));
    }
    used += static_cast<std::size_t>(got);
  }
  text.resize(used);
  return text;
}

std::vector<std::byte> signed_message(const Sha256Digest& action_key,
                                      std::span<const std::byte> entry) {
  std::vector<std::byte> message;
  message.reserve(k_domain.size() + action_key.bytes.size() + entry.size());
  const auto domain = std::as_bytes(std::span(k_domain.data(), k_domain.size()));
  message.insert(message.end(), domain.begin(), domain.end());
  const auto key = std::as_bytes(std::span(action_key.bytes));
  message.insert(message.end(), key.begin(), key.end());
  message.insert(message.end(), entry.begin(), entry.end());
  return message;
}

Expected<void> write_new_file(const std::filesystem::path& path, std::string_view text,
                              unsigned mode) {
  const std::string name = path.string();
  auto opened = open_fd(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  if (!opened) {
    Error error = std::move(opened).error();
    if (error.sys_errno == EEXIST) {
      error.code = Errc::invalid_argument;
      error.reason = "already exists; not replacing a key file";
      error.operation.clear();
      error.sys_errno = 0;
    }
    return fail(std::move(error));
  }
  // The mode given to open is filtered by the umask; a private key must be
  // 0600 whatever the umask says.
  if (::fchmod(opened->get(), mode) != 0) {
    return fail(system_error("cannot set the mode of", name, "fchmod"));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t wrote = ::write(opened->get(), text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return fail(system_error("cannot write", name, "write"));
    }
    done += static_cast<std::size_t>(wrote);
  }
  if (::fsync(opened->get()) != 0) {
    return fail(system_error("cannot flush", name, "fsync"));
  }
  return {};
}

} // namespace

Expected<SigningKey> SigningKey::generate(std::string_view name) {
  SEALEXEC_TRY(ensure_sodium());
  if (!valid_name(name)) {
    return fail(make_error(Errc::invalid_argument, name,
                           "a key name must be 1 to 128 letters, digits, '.', '_' or '-'"));
  }
  SigningKey key;
  key.m_public.name = std::string(name);
  ::crypto_sign_keypair(key.m_public.bytes.data(), key.m_secret.data());
  return key;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : m_secret(other.m_secret), m_public(std::move(other.m_public)) {
  ::sodium_memzero(other.m_secret.data(), other.m_secret.size());
}

SigningKey::~SigningKey() { ::sodium_memzero(m_secret.data(), m_secret.size()); }

std::array<std::uint8_t, 64> SigningKey::sign(std::span<const std::byte> message) const {
  std::array<std::uint8_t, 64> signature{};
  // A SigningKey exists only after ensure_sodium succeeded.
  ::crypto_sign_detached(signature.data(), nullptr,
                         reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         m_secret.data());
  return signature;
}

std::string SigningKey::to_file_text() const {
  return fmt::format("{} {} {} {}\n", k_secret_tag, k_file_version, m_public.name,
                     to_hex(m_secret));
}

Expected<SigningKey> SigningKey::from_file_text(std::string_view text, std::string_view file) {
  SEALEXEC_TRY(ensure_sodium());
  SEALEXEC_TRY_ASSIGN(KeyLine line, parse_key_line(text, k_secret_tag, 64, file));
  SigningKey key;
  std::memcpy(key.m_secret.data(), line.bytes.data(), key.m_secret.size());
  ::sodium_memzero(line.bytes.data(), line.bytes.size());
  key.m_public.name = std::move(line.name);
  // An Ed25519 secret key holds its public half; check that it is consistent.
  std::array<std::uint8_t, 32> derived{};
  ::crypto_sign_ed25519_sk_to_pk(derived.data(), key.m_secret.data());
  std::array<std::uint8_t, 32> seed{};
  ::crypto_sign_ed25519_sk_to_seed(seed.data(), key.m_secret.data());
  std::array<std::uint8_t, 32> from_seed{};
  std::array<std::uint8_t, 64> scratch{};
  ::crypto_sign_seed_keypair(from_seed.data(), scratch.data(), seed.data());
  ::sodium_memzero(seed.data(), seed.size());
  ::sodium_memzero(scratch.data(), scratch.size());
  if (derived != from_seed) {
    return fail(make_error(Errc::malformed, file, "not a sealexec key file: inconsistent key"));
  }
  key.m_public.bytes = derived;
  return key;
}

std::string public_key_file_text(const PublicKey& key) {
  return fmt::format("{} {} {} {}\n", k_public_tag, k_file_version, key.name, to_hex(key.bytes));
}

Expected<PublicKey> parse_public_key(std::string_view text, std::string_view file) {
  SEALEXEC_TRY_ASSIGN(const KeyLine line, parse_key_line(text, k_public_tag, 32, file));
  PublicKey key;
  std::memcpy(key.bytes.data(), line.bytes.data(), key.bytes.size());
  key.name = line.name;
  return key;
}

Expected<PublicKey> write_key_pair(const std::filesystem::path& base) {
  const std::string name = base.filename().string();
  SEALEXEC_TRY_ASSIGN(const SigningKey key, SigningKey::generate(name));
  std::filesystem::path secret_path = base;
  secret_path += ".key";
  std::filesystem::path public_path = base;
  public_path += ".pub";
  // Check both names first, so that neither file is written when the
  // other would be refused.
  for (const auto& path : {secret_path, public_path}) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      return fail(make_error(Errc::invalid_argument, path.string(),
                             "already exists; not replacing a key file"));
    }
  }
  SEALEXEC_TRY(write_new_file(secret_path, key.to_file_text(), 0600));
  SEALEXEC_TRY(write_new_file(public_path, public_key_file_text(key.public_key()), 0644));
  return key.public_key();
}

Expected<void> check_key_file(const std::filesystem::path& file, bool secret) {
  const std::string name = file.string();
  struct stat st {};
  if (::lstat(name.c_str(), &st) != 0) {
    Error error = system_error("cannot use the key file", name, "lstat");
    if (error.sys_errno == ENOENT) {
      error.code = Errc::not_found;
    }
    return fail(std::move(error));
  }
  if (auto problem = key_file_problem(st, name, secret)) {
    return fail(std::move(*problem));
  }
  return {};
}

Expected<SigningKey> load_signing_key(const std::filesystem::path& file) {
  SEALEXEC_TRY_ASSIGN(std::string text, read_key_file(file, /*secret=*/true));
  auto key = SigningKey::from_file_text(text, file.string());
  ::sodium_memzero(text.data(), text.size());
  return key;
}

Expected<PublicKey> load_public_key(const std::filesystem::path& file) {
  SEALEXEC_TRY_ASSIGN(const std::string text, read_key_file(file, /*secret=*/false));
  return parse_public_key(text, file.string());
}

namespace {

std::vector<std::byte> envelope_of(std::span<const std::uint8_t, 32> signer,
                                   std::span<const std::uint8_t, 64> signature,
                                   std::span<const std::byte> entry) {
  RecordWriter w(k_envelope_magic, k_envelope_version);
  w.bytes(std::as_bytes(signer));
  w.bytes(std::as_bytes(signature));
  w.u32(static_cast<std::uint32_t>(entry.size()));
  w.bytes(entry);
  return std::move(w).finish();
}

struct Envelope {
  std::array<std::uint8_t, 32> signer{};
  std::array<std::uint8_t, 64> signature{};
  std::vector<std::byte> entry;
};

Expected<Envelope> parse_envelope(std::span<const std::byte> envelope, std::string_view name) {
  auto bad = [name](std::string_view why) {
    return fail(make_error(Errc::malformed, name, fmt::format("not a signed entry: {}", why)));
  };
  std::string why;
  auto reader = RecordReader::open(envelope, k_envelope_magic, k_envelope_version,
                                   cache::k_max_action_entry_size + 256, why);
  if (!reader) {
    return bad(why);
  }
  Envelope parsed;
  std::uint32_t size = 0;
  if (!reader->bytes(std::as_writable_bytes(std::span(parsed.signer))) ||
      !reader->bytes(std::as_writable_bytes(std::span(parsed.signature))) || !reader->u32(size) ||
      size > cache::k_max_action_entry_size) {
    return bad("truncated or oversized field");
  }
  parsed.entry.resize(size);
  if (!reader->bytes(parsed.entry) || !reader->at_end()) {
    return bad("truncated entry or trailing bytes");
  }
  return parsed;
}

constexpr std::array<std::uint8_t, 32> k_nobody{};
// Where an unsigned envelope's signature would be: the action key, then
// this tag. No Ed25519 signature ends in 0xff (its second half is a scalar
// below the group order, < 2^253, stored little-endian).
constexpr char k_unsigned_tag[] = "sealexec-unsigned-bound-v1\xff\xff\xff\xff\xff\xff";
static_assert(sizeof k_unsigned_tag == 32 + 1);

std::array<std::uint8_t, 64> unsigned_binding(const Sha256Digest& action_key) {
  std::array<std::uint8_t, 64> binding{};
  std::memcpy(binding.data(), action_key.bytes.data(), 32);
  std::memcpy(binding.data() + 32, k_unsigned_tag, 32);
  return binding;
}

// Whether the envelope's own signer signed its entry for `action_key`.
Expected<void> verify_signature(const Sha256Digest& action_key, const Envelope& parsed,
                                std::string_view name, std::string_view whose) {
  SEALEXEC_TRY(ensure_sodium());
  const auto message = signed_message(action_key, parsed.entry);
  if (::crypto_sign_verify_detached(parsed.signature.data(),
                                    reinterpret_cast<const unsigned char*>(message.data()),
                                    message.size(), parsed.signer.data()) != 0) {
    return fail(make_error(Errc::policy, name,
                           fmt::format("rejected: the signature of {} does not verify for this "
                                       "key and content",
                                       whose)));
  }
  return {};
}

} // namespace

std::vector<std::byte> sign_entry(const Sha256Digest& action_key,
                                  std::span<const std::byte> entry, const SigningKey& key) {
  const auto signature = key.sign(signed_message(action_key, entry));
  return envelope_of(key.public_key().bytes, signature, entry);
}

std::vector<std::byte> unsigned_entry(const Sha256Digest& action_key,
                                      std::span<const std::byte> entry) {
  return envelope_of(k_nobody, unsigned_binding(action_key), entry);
}

Expected<std::vector<std::byte>> open_unverified_entry(const Sha256Digest& action_key,
                                                       std::span<const std::byte> envelope,
                                                       std::string_view name) {
  SEALEXEC_TRY_ASSIGN(Envelope parsed, parse_envelope(envelope, name));
  if (parsed.signer != k_nobody) {
    // No trust to check, but the signature still says which key the entry
    // was made for: an entry copied over another key's is not served.
    SEALEXEC_TRY(verify_signature(action_key, parsed, name, "its own"));
    return std::move(parsed.entry);
  }
  if (parsed.signature == std::array<std::uint8_t, 64>{}) {
    return fail(make_error(Errc::policy, name,
                           "rejected: an unsigned entry bound to no key (written by an older "
                           "sealexec)"));
  }
  if (parsed.signature != unsigned_binding(action_key)) {
    return fail(
        make_error(Errc::policy, name, "rejected: an unsigned entry not bound to this key"));
  }
  return std::move(parsed.entry);
}

Expected<std::vector<std::byte>> open_signed_entry(const Sha256Digest& action_key,
                                                   std::span<const std::byte> envelope,
                                                   std::span<const PublicKey> trusted,
                                                   std::string_view name) {
  SEALEXEC_TRY_ASSIGN(Envelope parsed, parse_envelope(envelope, name));
  const PublicKey* known = nullptr;
  for (const PublicKey& key : trusted) {
    if (key.bytes == parsed.signer) {
      known = &key;
      break;
    }
  }
  if (known == nullptr) {
    const bool unsigned_one = parsed.signer == std::array<std::uint8_t, 32>{};
    return fail(make_error(Errc::policy, name,
                           unsigned_one ? std::string("rejected: not signed")
                                        : fmt::format("rejected: signed by an untrusted key {}",
                                                      to_hex(std::span(parsed.signer).first(8)))));
  }
  SEALEXEC_TRY(verify_signature(action_key, parsed, name,
                                 fmt::format("trusted key '{}'", known->name)));
  return std::move(parsed.entry);
}

} // namespace sealexec::remote
