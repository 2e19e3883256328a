// What a subcommand declares to the CLI.
#pragma once

#include "sealexec/cli/options.h"

#include <span>
#include <string_view>

namespace sealexec::cli {

struct Command {
  std::string_view name;     // "run"
  std::string_view summary;  // one line for `sealexec --help`
  std::string_view usage;    // "sealexec run [OPTIONS] [--] PROGRAM|- [ARGS...]"
  std::string_view details;  // printed after the options by `--help`
  std::span<const OptionSpec> options; // without -h/--help, which every command has
  Operands operands;
  // The exit code for a usage error: 125 for commands that run a program
  // (env(1)'s convention), 2 for the others (grep's and diff's).
  int usage_exit_code;
  // Runs the command and returns the exit code.
  int (*run)(const ParsedOptions& options);
};

// The full `--help` text of `command`.
[[nodiscard]] std::string command_help(const Command& command);

} // namespace sealexec::cli
