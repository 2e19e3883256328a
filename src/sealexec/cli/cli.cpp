#include "sealexec/cli/cli.h"

#include "sealexec/cli/command.h"
#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/output.h"
#include "sealexec/cli/run_command.h"
#include "sealexec/version.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace sealexec::cli {

int main(int argc, char** argv) {
  CLI::App app("sealexec runs code from sealed memory, safely: binaries embedded in other\n"
               "programs, programs piped in from elsewhere, precompiled code from a cache.",
               "sealexec");
  app.set_version_flag("--version", std::string("sealexec ") + k_version);
  app.require_subcommand(1);
  app.footer("Run 'sealexec COMMAND --help' for a command's options.");

  const std::vector<Command> commands{add_run_command(app)};

  // A program's own arguments are cut off before CLI11 sees them, so that
  // `sealexec run ./tool --version` passes --version to the tool.
  int parsed_argc = argc;
  std::vector<std::string> program;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto found = std::ranges::find_if(
        commands, [&](const Command& c) { return c.takes_program && c.app->get_name() == arg; });
    if (found != commands.end()) {
      parsed_argc = program_start(*found->app, argc, argv, i + 1);
      program.assign(argv + parsed_argc, argv + argc);
      break;
    }
    if (arg.starts_with("-")) {
      continue;
    }
    break; // another subcommand
  }

  try {
    app.parse(parsed_argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::fputs(app.help().c_str(), stdout);
    return k_exit_ok;
  } catch (const CLI::CallForAllHelp& e) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return k_exit_ok;
  } catch (const CLI::CallForVersion& e) {
    std::fputs((std::string(e.what()) + "\n").c_str(), stdout);
    return k_exit_ok;
  } catch (const CLI::ParseError& e) {
    return report(make_error(Errc::invalid_argument, "",
                             fmt::format("{} (see sealexec --help)", e.what())));
  }
  for (const CLI::App* subcommand : app.get_subcommands()) {
    for (const Command& command : commands) {
      if (command.app == subcommand) {
        return command.run(std::move(program));
      }
    }
  }
  return report(make_error(Errc::invalid_argument, "", "no command given (see sealexec --help)"));
}

} // namespace sealexec::cli
