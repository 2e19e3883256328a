// Feeds arbitrary bytes to the parsers of what scripts keep in the cache
// (manifests, compiler facts and pkg-config answers, hostile like any cache
// file) and to the flags-comment and #! readers of the scripts themselves. Whatever parses must
// serialize back to the same bytes: the formats have one encoding.
#include "sealexec/script/compiler.h"
#include "sealexec/script/manifest.h"
#include "sealexec/script/pkg_config.h"
#include "sealexec/script/script_source.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const auto bytes = std::as_bytes(std::span(data, size));
  auto same = [&](const std::vector<std::byte>& again) {
    return again.size() == size && (size == 0 || std::memcmp(again.data(), data, size) == 0);
  };
  if (const auto manifest = script::parse_manifest(bytes, "fuzz")) {
    if (!same(script::serialize(*manifest))) {
      std::abort();
    }
  }
  if (const auto facts = script::parse_compiler_facts(bytes, "fuzz")) {
    if (!same(script::serialize(*facts))) {
      std::abort();
    }
  }
  if (const auto flags = script::parse_package_flags(bytes, "fuzz")) {
    if (!same(script::serialize(*flags))) {
      std::abort();
    }
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto script = script::parse_script(text, "/fuzz/x.cpp")) {
    // The compile text always starts with the #line directive.
    if (!script->compile_text.starts_with("#line ")) {
      std::abort();
    }
    // The parse and the #! reader agree.
    if (script->sealexec_shebang != script::starts_with_sealexec_shebang(text)) {
      std::abort();
    }
  }
  return 0;
}
