// Which compiler builds a script, and what it is.
//
// The compiler is $CC or $CXX (a command, possibly with arguments, as make
// takes them), else cc or c++ from PATH. Its identity is its real path and
// (dev, ino, size, mtime): cheap to read on every run. What it is (version,
// target, default language standard) costs starting it, a millisecond for
// gcc and far more for clang (FACTS §4), so that answer is cached, keyed by
// the identity. A warm run never starts the compiler.
#pragma once

#include "sealexec/cache/cache.h"
#include "sealexec/cache/fingerprint.h"
#include "sealexec/script/script_source.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::script {

struct CompilerCommand {
  std::filesystem::path program;         // absolute, as found in PATH (not resolved)
  std::vector<std::string> leading_args; // from a $CXX like "g++ -m32"
  std::string chosen_by;                 // "$CXX", "c++ in PATH", "--compiler"
};

// `command` is --compiler's value or $CC/$CXX (empty: unset); `path_variable`
// is $PATH. Errc::not_found when the compiler cannot be found.
[[nodiscard]] Expected<CompilerCommand> choose_compiler(Language language,
                                                        std::string_view command,
                                                        std::string_view chosen_by,
                                                        std::string_view path_variable);

struct CompilerIdentity {
  std::filesystem::path real_path;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  // The identities of the programs its leading arguments name, in order
  // (real path and stamp each): with a launcher ("ccache gcc", "env
  // X=1 cc", "distcc cc"), the compiler that really builds is one of them.
  // Then the assembler and linker in PATH, which the compiler runs.
  std::string named_programs;
};

// Reads the identity through one descriptor (O_PATH): the real path the
// kernel has for it, and fstat. Never through a path that could change
// between the two. Each leading argument that names a program in
// `path_variable` (not an option, not NAME=value) is identified likewise,
// into named_programs (in env's PATH=... when a leading argument sets it),
// and so are `as` and `ld` in `path_variable`. What a wrapper script runs
// cannot be known: such a wrapper's identity is its own (docs/scripts.md).
[[nodiscard]] Expected<CompilerIdentity> identify_compiler(const CompilerCommand& compiler,
                                                           std::string_view path_variable);

struct CompilerFacts {
  std::string version;     // -dumpfullversion, or --version's first line
  std::string machine;     // -dumpmachine
  std::string default_std; // e.g. "__cplusplus=201703L gnu"
  friend bool operator==(const CompilerFacts&, const CompilerFacts&) = default;
};

// Starts the compiler to ask. Errc::not_runnable when it does not answer
// like gcc or clang.
[[nodiscard]] Expected<CompilerFacts> probe_compiler(const CompilerCommand& compiler,
                                                     Language language);

// The facts from the cache, or probed and then cached.
[[nodiscard]] Expected<CompilerFacts> compiler_facts(cache::Cache& cache,
                                                     const CompilerCommand& compiler,
                                                     const CompilerIdentity& identity,
                                                     Language language);

// What produced a script's binary: everything above that matters.
[[nodiscard]] cache::Fingerprint compiler_fingerprint(const CompilerCommand& compiler,
                                                      const CompilerIdentity& identity,
                                                      const CompilerFacts& facts,
                                                      Language language);

// The cached facts' on-disk form (hostile input: bounds-checked, fuzzed).
[[nodiscard]] std::vector<std::byte> serialize(const CompilerFacts& facts);
[[nodiscard]] Expected<CompilerFacts> parse_compiler_facts(std::span<const std::byte> bytes,
                                                           std::string_view name);

} // namespace sealexec::script
