// Feeds arbitrary text to the remote-cache URL parser (URLs come from
// configuration and the environment). Whatever parses must parse again from
// its display form to the same backend, and its display form must not depend
// on the password.
#include "sealexec/remote/backend_url.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto url = remote::parse_backend_url(text);
  if (url) {
    // The display form must not depend on the password at all.
    remote::BackendUrl other = *url;
    other.password = url->password.empty() ? std::string() : "another password";
    if (other.display() != url->display()) {
      std::abort();
    }
    if (url->password.empty()) {
      const auto again = remote::parse_backend_url(url->display());
      if (!again || again->identity() != url->identity()) {
        std::abort();
      }
    }
  }
  if (const auto list = remote::parse_backend_list(text); list && !list->empty()) {
    Sha256Digest key;
    key.bytes.fill(static_cast<std::uint8_t>(size));
    if (remote::pick_backend(key, *list) >= list->size()) {
      std::abort();
    }
  }
  return 0;
}
