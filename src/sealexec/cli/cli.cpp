#include "sealexec/cli/cli.h"

#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/output.h"
#include "sealexec/cli/run_command.h"
#include "sealexec/version.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace sealexec::cli {

int main(int argc, char** argv) {
  CLI::App app("sealexec runs code from sealed memory, safely: binaries embedded in other\n"
               "programs, programs piped in from elsewhere, precompiled code from a cache.",
               "sealexec");
  app.set_version_flag("--version", std::string("sealexec ") + k_version);
  app.require_subcommand(1);
  app.footer("Run 'sealexec COMMAND --help' for a command's options.");

  std::map<const CLI::App*, std::function<int()>> commands;
  const std::function<int()> run = add_run_command(app);
  commands[app.get_subcommand("run")] = run;

  try {
    app.parse(argc, argv);
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
    if (auto found = commands.find(subcommand); found != commands.end()) {
      return found->second();
    }
  }
  return report(make_error(Errc::invalid_argument, "", "no command given (see sealexec --help)"));
}

} // namespace sealexec::cli
