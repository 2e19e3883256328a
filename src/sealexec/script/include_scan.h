// The names a C or C++ file asks the preprocessor for: #include (and
// #include_next, #import, #embed; also spelt %: or ??=) and __has_include
// (and __has_include_next, __has_embed).
//
// A name looked for and not found in a directory is as much an input of a
// compile as the file found after it: creating it later changes what the
// same source compiles to. The depfile lists only the files found, so
// these names are read from the text itself, and the places where each was
// looked for in vain are watched (manifest.h).
//
// A lexical scan, not a preprocessor: it skips comments and literals but
// does not evaluate conditions, so it also reports names in branches not
// taken (watching those costs a recompile at worst, never a stale binary).
// The text is hostile (any header on the system): bounds-checked, limited
// and fuzzed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::script {

inline constexpr std::size_t k_max_include_references = 100000;

struct IncludeReference {
  std::string name; // as written between the quotes or brackets
  bool quoted = false; // "name": looked for next to the including file first
  friend bool operator==(const IncludeReference&, const IncludeReference&) = default;
};

struct IncludeScan {
  std::vector<IncludeReference> references; // in order, duplicates kept out
  // An #include or __has_include whose operand is a macro: what it names
  // cannot be known without preprocessing.
  bool computed = false;
  // More than k_max_include_references: the rest were not read.
  bool truncated = false;
};

[[nodiscard]] IncludeScan scan_includes(std::string_view text);

} // namespace sealexec::script
