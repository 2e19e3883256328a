#include "sealexec/cache/fingerprint.h"

#include <fmt/format.h>

namespace sealexec::cache {

namespace {
void append_field(std::string& out, std::string_view text) {
  out += fmt::format("{}:", text.size());
  out += text;
}
} // namespace

Fingerprint Fingerprint::of(
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string canonical = "fields;";
  for (const auto& [name, value] : fields) {
    append_field(canonical, name);
    append_field(canonical, value);
  }
  return Fingerprint(std::move(canonical));
}

Fingerprint Fingerprint::opaque(std::string_view text) {
  std::string canonical = "opaque;";
  append_field(canonical, text);
  return Fingerprint(std::move(canonical));
}

Sha256Digest make_key(const Fingerprint& fingerprint, std::span<const std::string_view> inputs) {
  Sha256Hasher hasher;
  auto add = [&hasher](std::string_view text) {
    const std::string prefix = fmt::format("{}:", text.size());
    hasher.update(std::as_bytes(std::span(prefix.data(), prefix.size())));
    hasher.update(std::as_bytes(std::span(text.data(), text.size())));
  };
  add("sealexec-action-key-v1");
  add(fingerprint.canonical());
  for (const std::string_view input : inputs) {
    add(input);
  }
  return hasher.digest();
}

} // namespace sealexec::cache
