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

// By extension, as gcc and clang take it: .c is C; .cc, .cpp, .cxx, .c++
// and .C are C++. nullopt otherwise.
[[nodiscard]] std::optional<Language> language_of(std::string_view path);
[[nodiscard]] std::string_view language_name(Language language); // "c", "c++"
// "c" or "c++" (also "C++", "cxx", "cpp"); nullopt for anything else.
[[nodiscard]] std::optional<Language> parse_language(std::string_view name);
// The language of a file that names no language by --lang or extension but
// starts with a #! line naming sealexec (docs/scripts.md).
inline constexpr Language k_default_language = Language::cxx;

// Whether `content` starts with a #! line whose interpreter is sealexec:
// "#!/path/sealexec ..." or "#!/path/env [-S] [NAME=value...] sealexec ...".
[[nodiscard]] bool starts_with_sealexec_shebang(std::string_view content);
// The arguments such a line gives sealexec before the file's name, as the
// kernel and env pass them ("#!/usr/bin/env -S sealexec --lang c" gives
// "--lang" and "c"); nullopt when the line does not name sealexec.
[[nodiscard]] std::optional<std::vector<std::string>> sealexec_shebang_arguments(
    std::string_view content);

// Options a `// sealexec:` line gives sealexec itself rather than the
// compiler; the same as script's command-line options of those names.
struct ScriptDirectives {
  std::optional<Language> language;  // --lang
  std::vector<std::string> packages; // --pkg NAME[,NAME...]
  std::vector<std::string> sources;  // --source FILE
};

struct ScriptSource {
  std::filesystem::path path; // absolute, symlinks resolved: what #line names
  std::string compile_text;   // the content as the compiler gets it
  std::vector<std::string> flags; // from `// sealexec: FLAGS` lines, in order
  ScriptDirectives directives;
  bool sealexec_shebang = false; // starts_with_sealexec_shebang
};

// Builds the compile text and reads the flags comments of `content`, the
// file at `real_path`. A flags line is `// sealexec: ARG ARG ...` among the
// first k_flags_comment_lines lines; arguments split on blanks, with '...'
// and "..." quoting and backslash escapes as in sh. --lang, --pkg and
// --source (with their value as the next word or after '=') are
// directives; every other word is a flag. Errc::malformed, naming the file
// and line, for an unterminated quote, a directive without its value, or a
// bad language or package name.
[[nodiscard]] Expected<ScriptSource> parse_script(std::string_view content,
                                                  const std::filesystem::path& real_path);

// Adds the package names of a --pkg value ("zlib,sqlite3") to `packages`.
// A name is what pkg-config takes (letters, digits, and "._+-", not
// starting with '-'); the reason otherwise.
[[nodiscard]] std::optional<std::string> add_packages(std::string_view value,
                                                      std::vector<std::string>& packages);

// Splits `text` like sh splits words (no expansions): blanks separate,
// quotes group, backslash escapes. nullopt for an unterminated quote or a
// trailing backslash.
[[nodiscard]] std::optional<std::vector<std::string>> split_words(std::string_view text);

// `text` as the body of a C string literal.
[[nodiscard]] std::string c_string_body(std::string_view text);

} // namespace sealexec::script
