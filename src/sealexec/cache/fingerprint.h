// What produced a cached entry, and the key it is stored under.
//
// Wasmtime's users crashed because a development build (Winch) and a
// production build (Cranelift) shared one cache key, the hash of the input
// alone (FACTS §3). Here the engine's identity, version, flags and target are
// part of every key and are stored in the entry and compared on load, so two
// configurations can never share an entry.
#pragma once

#include "sealexec/util/digest.h"

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace sealexec::cache {

class Fingerprint {
public:
  // From named fields, e.g. {{"engine", "g++"}, {"version", "12.2.0"},
  // {"flags", "-O2"}, {"target", "x86_64-linux-gnu"}}. The canonical form
  // length-prefixes every name and value, so no two field lists collide.
  [[nodiscard]] static Fingerprint of(
      std::initializer_list<std::pair<std::string_view, std::string_view>> fields);
  // From a caller's own canonical string (the CLI's --fingerprint).
  [[nodiscard]] static Fingerprint opaque(std::string_view text);

  [[nodiscard]] const std::string& canonical() const { return m_canonical; }
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;

private:
  explicit Fingerprint(std::string canonical) : m_canonical(std::move(canonical)) {}
  std::string m_canonical;
};

// The key of an action entry: SHA-256 over a domain tag, the fingerprint and
// the caller's inputs, each length-prefixed.
[[nodiscard]] Sha256Digest make_key(const Fingerprint& fingerprint,
                                    std::span<const std::string_view> inputs);

} // namespace sealexec::cache
