// `sealexec run`: copy a program into sealed memory and replace ourselves
// with it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>

namespace sealexec::cli {

// Adds the `run` subcommand to `app`. The returned callback runs it after
// parsing and returns the exit code (it returns only on failure).
std::function<int()> add_run_command(CLI::App& app);

} // namespace sealexec::cli
