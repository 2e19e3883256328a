// What a subcommand registers with the CLI.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace sealexec::cli {

struct Command {
  CLI::App* app = nullptr;
  // True for subcommands that run another program: everything from the
  // first non-option argument (or after "--") belongs to that program and is
  // never parsed as sealexec's own options.
  bool takes_program = false;
  // Runs the command after parsing; `program` holds PROGRAM and its
  // arguments for takes_program commands. Returns the exit code.
  std::function<int(std::vector<std::string> program)> run;
};

// The index in `argv` where the program's own arguments start for
// `subcommand`, whose own arguments start at `first`: the first argument that
// is not one of the subcommand's options or an option's value, or the one
// after "--". `argc` when there is none. Unknown options stop nothing, so
// CLI11 reports them.
[[nodiscard]] int program_start(const CLI::App& subcommand, int argc, char** argv, int first);

} // namespace sealexec::cli
