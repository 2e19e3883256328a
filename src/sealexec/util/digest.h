// Content digests. XXH3-128 is the fast content digest that names and checks
// images (about 10 GB/s here); SHA-256 is the cryptographic one, computed
// where a caller pins or publishes a digest (about 1.7 GB/s with SHA-NI).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sealexec {

// A 128-bit XXH3 digest in canonical (big-endian) byte order, so that its hex
// form equals what `xxh128sum` prints.
struct Xxh3Digest {
  std::array<std::uint8_t, 16> bytes{};
  [[nodiscard]] std::string hex() const;
  friend bool operator==(const Xxh3Digest&, const Xxh3Digest&) = default;
};

// Streaming XXH3-128.
class Xxh3Hasher {
public:
  Xxh3Hasher();
  Xxh3Hasher(const Xxh3Hasher&) = delete;
  Xxh3Hasher& operator=(const Xxh3Hasher&) = delete;
  Xxh3Hasher(Xxh3Hasher&&) noexcept;
  Xxh3Hasher& operator=(Xxh3Hasher&&) noexcept;
  ~Xxh3Hasher();

  void update(std::span<const std::byte> data);
  [[nodiscard]] Xxh3Digest digest() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

[[nodiscard]] Xxh3Digest xxh3_128(std::span<const std::byte> data);

struct Sha256Digest {
  std::array<std::uint8_t, 32> bytes{};
  [[nodiscard]] std::string hex() const;
  // Parses 64 hex digits; nullopt otherwise.
  [[nodiscard]] static std::optional<Sha256Digest> from_hex(std::string_view text);
  friend bool operator==(const Sha256Digest&, const Sha256Digest&) = default;
};

// Streaming SHA-256.
class Sha256Hasher {
public:
  Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  ~Sha256Hasher();

  void update(std::span<const std::byte> data);
  [[nodiscard]] Sha256Digest digest() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

[[nodiscard]] Sha256Digest sha256(std::span<const std::byte> data);

} // namespace sealexec
