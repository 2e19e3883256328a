// A compilation database (compile_commands.json, the format clangd, clang-tidy
// and other editors' tools read) entry for a script, merged into the one in
// its directory: a script's flags live in its own comments and in
// pkg-config, where no editor looks.
#pragma once

#include "sealexec/util/error.h"

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::script {

struct CompileCommand {
  std::string directory;              // absolute: where the compiler runs
  std::string file;                   // absolute
  std::vector<std::string> arguments; // argv, the compiler first, the file last
};

// `existing` (the text of a compile_commands.json; empty: there is none)
// with `ours` in it: an entry for the same file (its "file" taken
// relative to its "directory") is replaced, every other entry kept.
// Errc::malformed, naming `name`, when `existing` is not a JSON array of
// objects: it is never overwritten then.
[[nodiscard]] Expected<std::string> merge_compile_commands(std::string_view existing,
                                                           std::span<const CompileCommand> ours,
                                                           std::string_view name);

// Reads `path` (absent: empty), merges `ours` in, and replaces it
// atomically. A symlink is written through, so a link to a build
// directory's database stays a link; the file's mode is kept.
[[nodiscard]] Expected<void> update_compile_commands(const std::filesystem::path& path,
                                                     std::span<const CompileCommand> ours);

} // namespace sealexec::script
