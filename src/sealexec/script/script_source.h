// A C or C++ file run as a script: what gets compiled, and the flags the
// file asks for.
//
// Compilers reject a `#!` first line, so it is replaced by
// `#line 2 "<absolute path>"`; a file without one gets `#line 1 "..."`.
// Either way diagnostics name the real file and line even though the
// compiler reads a private copy (FACTS §4).
#pragma once

#include "sealexec/util/error.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::script {

enum class Language { c, cxx };

inline constexpr std::size_t k_max_script_size = 16 * 1024 * 1024;
// Flags comments are looked for in this many first lines.
inline constexpr std::size_t k_flags_comment_lines = 50;

// By extension: .c is C; .cc, .cpp, .cxx and .c++ are C++. nullopt otherwise.
[[nodiscard]] std::optional<Language> language_of(std::string_view path);
[[nodiscard]] std::string_view language_name(Language language); // "c", "c++"

struct ScriptSource {
  std::filesystem::path path; // absolute, symlinks resolved: what #line names
  Language language = Language::c;
  std::string compile_text;   // the content as the compiler gets it
  std::vector<std::string> flags; // from `// sealexec: FLAGS` lines, in order
};

// Builds the compile text and reads the flags comments of `content`, the
// file at `real_path`. A flags line is `// sealexec: ARG ARG ...` among the
// first k_flags_comment_lines lines; arguments split on blanks, with '...'
// and "..." quoting and backslash escapes as in sh. Errc::malformed, naming
// the file and line, for an unterminated quote.
[[nodiscard]] Expected<ScriptSource> parse_script(std::string_view content,
                                                  const std::filesystem::path& real_path,
                                                  Language language);

// Splits `text` like sh splits words (no expansions): blanks separate,
// quotes group, backslash escapes. nullopt for an unterminated quote or a
// trailing backslash.
[[nodiscard]] std::optional<std::vector<std::string>> split_words(std::string_view text);

// `text` as the body of a C string literal.
[[nodiscard]] std::string c_string_body(std::string_view text);

} // namespace sealexec::script
