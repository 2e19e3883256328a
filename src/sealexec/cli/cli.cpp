#include "sealexec/cli/cli.h"

#include "sealexec/cli/cache_command.h"
#include "sealexec/cli/check_command.h"
#include "sealexec/cli/command.h"
#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/fix_command.h"
#include "sealexec/cli/output.h"
#include "sealexec/cli/run_command.h"
#include "sealexec/cli/script_command.h"
#include "sealexec/cli/serve_command.h"
#include "sealexec/script/script_source.h"
#include "sealexec/version.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::cli {

namespace {

constexpr std::array k_commands{&k_run_command, &k_script_command, &k_check_command,
                                &k_fix_command, &k_cache_command,  &k_serve_command};

void print(std::string_view text) {
  // Help and version go to stdout; a failed write (closed pipe) is no error
  // worth reporting.
  while (!text.empty()) {
    const ssize_t wrote = ::write(STDOUT_FILENO, text.data(), text.size());
    if (wrote <= 0) {
      return;
    }
    text.remove_prefix(static_cast<std::size_t>(wrote));
  }
}

std::string main_help() {
  std::string text =
      "Usage: sealexec COMMAND [OPTIONS] [ARGS...]\n"
      "       sealexec [SCRIPT-OPTIONS] FILE [ARGS...]   (the same as sealexec script ...)\n"
      "  FILE is named .c or .cpp (.cc, .cxx, .c++, .C), or starts with\n"
      "  #!/usr/bin/env sealexec\n\n"
      "sealexec runs code from sealed memory, safely: binaries embedded in other\n"
      "programs, programs piped in from elsewhere, precompiled code from a cache.\n\n"
      "Commands:\n";
  for (const Command* command : k_commands) {
    text += fmt::format("  {:<8}  {}\n", command->name, command->summary);
  }
  text += "\nOptions:\n  -h, --help  Show this help and exit\n  --version   Show the version and exit\n"
          "\nRun 'sealexec COMMAND --help' for a command's options.\n";
  return text;
}

bool is_help(std::string_view arg) { return arg == "-h" || arg == "--help"; }

// `sealexec tool`: the options of tool's #! line, which the kernel passes
// before the name when it runs ./tool, are not here yet.
int run_with_options(std::vector<std::string> words, std::span<char* const> args);

int run_command(const Command& command, std::span<char* const> args) {
  // --help anywhere before the operands asks for help; after PROGRAM it is
  // the program's.
  for (const std::string_view arg : args) {
    if (is_help(arg)) {
      print(command_help(command));
      return k_exit_ok;
    }
    if (arg == "--" || arg.empty() || arg[0] != '-' || arg == "-") {
      break;
    }
  }
  auto parsed = parse_options(command.options, args, command.operands);
  if (!parsed) {
    Error error = std::move(parsed).error();
    error.reason = fmt::format("{} (see sealexec {} --help)", error.reason, command.name);
    report(error);
    return command.usage_exit_code;
  }
  return command.run(*parsed);
}

int run_with_options(std::vector<std::string> words, std::span<char* const> args) {
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> with_options;
  for (std::string& word : words) {
    with_options.push_back(word.data());
  }
  return run_command(k_script_command, with_options);
}

} // namespace

int main(int argc, char** argv) {
  const std::span<char* const> args(argv + 1, static_cast<std::size_t>(std::max(argc - 1, 0)));
  if (args.empty()) {
    return report(make_error(Errc::invalid_argument, "", "no command given (see sealexec --help)"));
  }
  const std::string_view first = args.front();
  if (is_help(first)) {
    print(main_help());
    return k_exit_ok;
  }
  if (first == "--version") {
    print(fmt::format("sealexec {}\n", k_version));
    return k_exit_ok;
  }
  for (const Command* command : k_commands) {
    if (command->name == first) {
      // `sealexec script tool`: tool's #! options, as for `sealexec tool`.
      if (command == &k_script_command && args.size() > 1 &&
          !std::string_view(args[1]).starts_with("-")) {
        if (const auto from_shebang = shebang_arguments(args[1])) {
          return run_with_options(*from_shebang, args.subspan(1));
        }
      }
      return run_command(*command, args.subspan(1));
    }
  }
  // `sealexec hello.cpp`, `sealexec -v tool`, and what `#!/usr/bin/env
  // sealexec` and `#!/usr/bin/env -S sealexec --flags...` run.
  if (first == "--" || (first.starts_with("-") && is_known_option(k_script_command.options, first))) {
    return run_command(k_script_command, args);
  }
  if (!first.starts_with("-")) {
    if (const auto from_shebang = shebang_arguments(first)) {
      return run_with_options(*from_shebang, args);
    }
    // A named script, or a path: a missing file is "not found" (127), not
    // an unknown command.
    if (script::language_of(first) || first.find('/') != std::string_view::npos) {
      return run_command(k_script_command, args);
    }
  }
  return report(make_error(
      Errc::invalid_argument, "",
      fmt::format("{} '{}' (see sealexec --help)",
                  first.starts_with("-") ? "unknown option" : "unknown command", first)));
}

} // namespace sealexec::cli
