// Programs that look for themselves.
//
// A sealed program's path is not its file's: a script's $0 is a name link in
// sealexec's runtime directory (exec/name_link.h), and every program's
// /proc/self/exe is the memfd. A program that prints its own path, finds
// files next to itself, or follows its own symbolic links back to its
// directory therefore behaves differently, and sealexec cannot prevent that
// without giving up the seal or a mount namespace's larger differences
// (docs/run.md, "Names and paths"). It can make the difference loud: this
// finds the usual ways programs look for themselves, so that `run` warns, or
// refuses a script that would look in the wrong place or loop.
//
// The script scanner reads hostile text: it is bounded (k_max_scanned_script
// bytes, lines of any length) and fuzzed (tests/fuzz/self_reference_fuzzer).
// It is a heuristic with documented rules per language, not a parser.
#pragma once

#include "sealexec/exec/runnable.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/image/shebang.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sealexec {

enum class ScriptLanguage { unknown, shell, perl, python, node, ruby };

// The language of a script run by `shebang`: from the interpreter's basename
// (sh, bash, dash, zsh, ksh...; perl; python3.11; node; ruby), or for env(1),
// from the first operand of its argument, options such as -S skipped.
[[nodiscard]] ScriptLanguage script_language(const Shebang& shebang);

struct SelfReference {
  std::string construct; // what gives it away: "$0", "__file__", "libjli.so"...
  std::size_t line = 0;  // 1-based line in a script; 0 for an ELF program
  // A shell script that mentions its own path (not just to print it or take
  // its basename) and resolves symbolic links in a loop (readlink, realpath
  // or a -h/-L test inside while/until/for): through the name link they
  // lead to the memfd, so it looks for its files under / or loops forever
  // (gcloud's launchers).
  bool resolves_links = false;
  std::string resolver; // "readlink"..., when resolves_links
  std::size_t resolver_line = 0;
  // No script in this language can run sealed: node resolves its main
  // script's real path, which is the memfd, and fails.
  bool always_fails = false;
  // A Python script that starts multiprocessing workers with "spawn" or
  // "forkserver": each worker re-reads the main script from its path,
  // without the sealed descriptor, fails, and a Pool starts another, for
  // ever.
  bool respawns_itself = false;
  // Larger than k_max_scanned_script: not looked at.
  bool unscanned = false;
};

inline constexpr std::size_t k_max_scanned_script = 4U << 20;
inline constexpr std::size_t k_max_sibling_imports = 64;

// The first place where `text`, a script in `language`, refers to its own
// path; for a shell script, whether it also follows symbolic links. At most
// k_max_scanned_script bytes are looked at.
[[nodiscard]] std::optional<SelfReference> scan_script_text(std::string_view text,
                                                            ScriptLanguage language);

// The top-level module names a Python script imports (`import a, b`,
// `from a.b import c`; relative imports left out), at most
// k_max_sibling_imports, in order, each once.
[[nodiscard]] std::vector<std::string> python_imports(std::string_view text);

// What `image` (checked by check_runnable as `program`) does to find itself:
// for a script, scan_script_text, and for Python, an import of a module that
// lives next to the script in `directory` (Python looks for it in
// /proc/self/fd, where the name link leads); for an ELF program, linking
// OpenJDK's libjli.so or being a Free Pascal program (a .fpcdata section),
// which both take their home from /proc/self/exe.
[[nodiscard]] Expected<std::optional<SelfReference>>
find_self_reference(const SealedImage& image, const RunnableProgram& program,
                    const std::optional<std::filesystem::path>& directory);

} // namespace sealexec
