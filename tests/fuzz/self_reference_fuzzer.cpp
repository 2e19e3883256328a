// Feeds arbitrary text, in every language, to the scanner that looks for a
// script's references to its own path, and to the Python import lister. It
// must never overrun or hang; what it reports must be on a line that exists.
#include "sealexec/exec/self_reference.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t lines =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const ScriptLanguage language :
       {ScriptLanguage::shell, ScriptLanguage::perl, ScriptLanguage::python, ScriptLanguage::node,
        ScriptLanguage::ruby, ScriptLanguage::unknown}) {
    const auto found = scan_script_text(text, language);
    if (found && (found->line == 0 || found->line > lines || found->construct.empty() ||
                  (found->resolves_links && found->resolver_line > lines))) {
      std::abort();
    }
  }
  const auto imports = python_imports(text);
  if (imports.size() > k_max_sibling_imports) {
    std::abort();
  }
  for (const auto& name : imports) {
    if (name.empty() || name.size() > size) {
      std::abort();
    }
  }
  return 0;
}
