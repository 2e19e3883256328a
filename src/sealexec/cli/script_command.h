// `sealexec script FILE` and its shorthand `sealexec FILE`: C and C++ files
// as scripts (docs/scripts.md).
#pragma once

#include "sealexec/cli/command.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::cli {

extern const Command k_script_command;

// The arguments the #! line of the file `path` gives sealexec, when that
// line names sealexec (a script of any name); nullopt otherwise. Read
// without blocking, and only a regular file's first line.
[[nodiscard]] std::optional<std::vector<std::string>> shebang_arguments(std::string_view path);

} // namespace sealexec::cli
