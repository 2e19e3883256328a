// C and C++ files as scripts (docs/scripts.md): compile once, then run the
// cached binary from sealed memory.
//
// The key of a script is its content (with the #! line replaced), its
// flags, its --source files' names, what its --pkg packages resolve to
// (pkg_config.h), the compiler's fingerprint and the environment variables
// that change what a compiler reads. It names a manifest (manifest.h) that lists
// the headers the last compile read and the key of the binary built from
// them. A warm run reads the script, stats the compiler, the manifest's
// headers and watched directories, and loads the binary: it never starts
// the compiler.
#pragma once

#include "sealexec/cache/cache.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/script/compile_commands.h"
#include "sealexec/script/script_source.h"
#include "sealexec/util/error.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::script {

struct ScriptOptions {
  std::filesystem::path script;         // as the caller named it
  std::vector<std::string> extra_flags; // from the command line, after the file's own
  // From the command line, besides the file's own directives (script_source.h):
  std::optional<Language> language;  // --lang, which wins over the file's
  std::vector<std::string> packages; // --pkg, after the file's
  std::vector<std::string> sources;  // --source, after the file's
  // The compiler command: --compiler's value (empty: not given), else $CC
  // or $CXX by the script's language (empty when unset).
  std::string compiler_option;
  std::string cc_variable;
  std::string cxx_variable;
  std::string path_variable; // $PATH
  // Environment variables that change what the compiler reads, as
  // "NAME=value" (see k_compiler_environment); they are part of the key.
  std::vector<std::string> compiler_environment;
  // $PKG_CONFIG, and every PKG_CONFIG* variable as "NAME=value", sorted.
  std::string pkg_config_command;
  std::vector<std::string> pkg_config_environment;
  bool rebuild = false; // compile even on a hit
  // Show the stored diagnostics of a successful compile on every run (-v,
  // --warnings); otherwise they are stored, not shown.
  bool show_warnings = false;
  // Says what happens (--verbose); empty: quiet.
  std::function<void(std::string_view)> note;
  // The compiler's own words: its diagnostics, and what it printed on its
  // standard output when that was more than its dependency list (a
  // linker's --verbose, say). The caller shows them where the compiler's
  // messages go. Empty: dropped.
  std::function<void(std::string_view)> compiler_output;
  // Where a cached binary is asked for first (image/memory_tier.h); not
  // owned, may be null.
  MemoryTier* memory_tier = nullptr;
};

// Variables gcc, clang and ld read that change the result of a compile:
// search paths, clang's CCC_OVERRIDE_OPTIONS (which edits the command line,
// and its older name), ld's LD_RUN_PATH (the binary's run path), and the
// ones that make gcc write or compare more.
inline constexpr std::string_view k_compiler_environment[] = {
    "CPATH",           "C_INCLUDE_PATH",   "CPLUS_INCLUDE_PATH",       "LIBRARY_PATH",
    "GCC_EXEC_PREFIX", "COMPILER_PATH",    "SOURCE_DATE_EPOCH",        "SDKROOT",
    "LD_RUN_PATH",     "CCC_OVERRIDE_OPTIONS", "QA_OVERRIDE_GCC3_OPTIONS", "GCC_COMPARE_DEBUG",
    "DEPENDENCIES_OUTPUT", "SUNPRO_DEPENDENCIES"};

struct PreparedScript {
  SealedImage image;
  std::filesystem::path real_path; // of the script
  bool compiled = false;           // this run compiled it
  bool cached = false;             // the binary is in the cache
};

// What an editor needs to compile the script and each of its --source
// files as sealexec does (compile_commands.h), without compiling it: the
// language, compiler and flags, pkg-config's included.
[[nodiscard]] Expected<std::vector<CompileCommand>> editor_commands(cache::Cache& cache,
                                                                    const ScriptOptions& options);

// The script's binary, sealed and ready to exec: from the cache when its
// manifest still holds, compiled otherwise (once, whoever else is trying at
// the same moment, unless the other compile holds the lock longer than
// the cache's lock_timeout). A binary is cached only when every file the
// compiler read, for every translation unit, is recorded and shown
// unchanged across the compile; otherwise it runs once, uncached.
// Errc::compile_failed when the compiler rejected it.
[[nodiscard]] Expected<PreparedScript> prepare_script(cache::Cache& cache,
                                                      const ScriptOptions& options);

} // namespace sealexec::script
