// Feeds arbitrary text to scan_includes, which reads every header a script's
// compile read. It must never overrun, hang or grow without bound, and what
// it reports must be names it could have read: non-empty, no longer than the
// input, on one line (splices removed), listed once.
#include "sealexec/script/include_scan.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto scan = sealexec::script::scan_includes(text);
  if (scan.references.size() > sealexec::script::k_max_include_references) {
    std::abort();
  }
  std::set<std::pair<std::string, bool>> seen;
  for (const auto& reference : scan.references) {
    if (reference.name.empty() || reference.name.size() > size ||
        reference.name.find('\n') != std::string::npos ||
        !seen.emplace(reference.name, reference.quoted).second) {
      std::abort();
    }
  }
  return 0;
}
