// The rules of the ld.so that will load a program: where it looks, and what
// its dynamic string tokens stand for.
#pragma once

#include "sealexec/audit/file_tree.h"
#include "sealexec/elf/elf_file.h"
#include "sealexec/elf/ld_so_cache.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::audit {

struct LoaderConfig {
  // The trusted default directories, searched last (Debian:
  // /lib/<triplet>, /usr/lib/<triplet>, /lib, /usr/lib).
  std::vector<std::string> default_dirs;
  std::string lib_token;      // what $LIB stands for ("lib/x86_64-linux-gnu")
  std::string platform_token; // what $PLATFORM stands for ("x86_64")
  // The ld.so.cache entry flags this ld.so accepts; nullopt: the cache is
  // not used for this architecture.
  std::optional<std::int32_t> cache_flags;
  const elf::LdSoCache* cache = nullptr; // not owned; may be null
  // LD_LIBRARY_PATH split into entries (empty entries mean the working
  // directory, as for ld.so).
  std::vector<std::string> library_path;
  std::uint16_t machine = 0;
  elf::ElfClass elf_class = elf::ElfClass::elf64;
  // The ELF interpreter of programs of this architecture (PT_INTERP as the
  // toolchain writes it): ld.so itself, already loaded when a library is
  // dlopen()ed, so the closure of a library root starts with it as ldd's does.
  std::string default_interpreter;
  // Where the files are; null: this machine's own file system.
  const FileTree* tree = nullptr;
};

// The tree `config` looks in.
[[nodiscard]] inline const FileTree& loader_tree(const LoaderConfig& config) {
  return config.tree != nullptr ? *config.tree : host_tree();
}

// The configuration of this system's ld.so for programs like `main`:
// Debian multiarch directories when /usr/lib/<triplet> exists, otherwise
// the lib64 (64-bit) or lib layout. `ld_library_path` is the caller's
// LD_LIBRARY_PATH (the library does not read the environment itself).
[[nodiscard]] LoaderConfig system_loader_config(const elf::FileHeader& main,
                                                const elf::LdSoCache* cache,
                                                std::optional<std::string_view> ld_library_path);

// The same for the ld.so of the system in `tree` (check --root, --image):
// its directories, and a $PLATFORM from the architecture (the CPU the
// program will run on is not known), with no LD_LIBRARY_PATH.
[[nodiscard]] LoaderConfig tree_loader_config(const FileTree& tree, const elf::FileHeader& main,
                                              const elf::LdSoCache* cache);

// Splits a DT_RPATH/DT_RUNPATH value (':'-separated) or LD_LIBRARY_PATH
// (':' or ';') into entries; an empty entry becomes "." as in ld.so.
[[nodiscard]] std::vector<std::string> split_search_path(std::string_view text, bool semicolons);

// Values for ld.so's dynamic string tokens.
struct TokenValues {
  std::optional<std::string_view> origin;   // $ORIGIN
  std::optional<std::string_view> lib;      // $LIB
  std::optional<std::string_view> platform; // $PLATFORM
};

// What to do with a token that has no value.
enum class MissingToken {
  drop_entry, // ld.so's rule: the whole entry is dropped (nullopt)
  keep,       // leave the token as it is, for ld.so to expand later
};

// Expands $ORIGIN, $LIB and $PLATFORM, and their ${...} forms, in `entry`.
// A token is the name not followed by a letter, digit or '_' ($ORIGINAL is
// not one), as in ld.so.
[[nodiscard]] std::optional<std::string> expand_tokens(std::string_view entry,
                                                       const TokenValues& values,
                                                       MissingToken missing);

// The same with ld.so's rule and `config`'s $LIB and $PLATFORM.
[[nodiscard]] std::optional<std::string> expand_tokens(std::string_view entry,
                                                       std::optional<std::string_view> origin,
                                                       const LoaderConfig& config);

// True when `entry` uses the token `name` ("ORIGIN", "LIB", "PLATFORM").
[[nodiscard]] bool mentions_token(std::string_view entry, std::string_view name);

} // namespace sealexec::audit
