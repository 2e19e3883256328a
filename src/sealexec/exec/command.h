// Running an ordinary program from its file (a compiler, say) and
// collecting what it prints. Programs that find their own files through
// /proc/self/exe or argv[0] (clang's resource directory, gcc's libexec
// programs) must run from their real path, never from a sealed copy.
#pragma once

#include "sealexec/exec/child.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sealexec {

struct CommandSpec {
  std::filesystem::path program;  // the file to execute (not looked up in PATH)
  std::vector<std::string> argv;  // argv[0] first
  std::filesystem::path cwd;      // empty: ours
  // Where the program's standard output goes. Standard input is always
  // /dev/null: a compiler must never eat the input meant for the program
  // it builds.
  enum class Output { inherit, to_stderr, capture, discard, to_fd };
  Output stdout_to = Output::inherit;
  // When set: the program's standard input and output both, instead of
  // /dev/null and stdout_to (a socket to talk to a helper through).
  int stdio_channel = -1;
  Output stderr_to = Output::inherit; // to_stderr means inherit here
  // The descriptor Output::to_fd writes to (a file collecting what a
  // compiler says, say).
  int output_fd = -1;
};

struct CommandResult {
  ExitStatus status;
  std::string out; // captured standard output, if asked for
  std::string err; // captured standard error, if asked for
};

// Starts `spec`. Captured streams must then be read with finish_command.
struct StartedCommand {
  Child child;
  Fd out;
  Fd err;
};
[[nodiscard]] Expected<StartedCommand> start_command(const CommandSpec& spec);

// Reads the captured streams to their end (at most `max_output` bytes each;
// the rest is drained and dropped) and waits for the program.
[[nodiscard]] Expected<CommandResult> finish_command(StartedCommand started,
                                                     std::size_t max_output);

// start_command and finish_command in one.
[[nodiscard]] Expected<CommandResult> run_command(const CommandSpec& spec,
                                                  std::size_t max_output = 1024 * 1024);

} // namespace sealexec
