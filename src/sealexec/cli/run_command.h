// `sealexec run`: copy a program into sealed memory and replace ourselves
// with it.
#pragma once

#include "sealexec/cli/command.h"

#include <CLI/CLI.hpp>

namespace sealexec::cli {

// Adds the `run` subcommand to `app`. Its callback returns only on failure.
Command add_run_command(CLI::App& app);

} // namespace sealexec::cli
