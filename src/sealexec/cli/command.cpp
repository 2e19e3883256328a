#include "sealexec/cli/command.h"

#include <fmt/format.h>

#include <vector>

namespace sealexec::cli {

std::string command_help(const Command& command) {
  std::vector<OptionSpec> specs(command.options.begin(), command.options.end());
  specs.push_back({"--help", "-h", "", "Show this help and exit"});
  std::string text = fmt::format("Usage: {}\n\n{}\n\n{}", command.usage, command.summary,
                                 format_options(specs));
  if (!command.details.empty()) {
    text += fmt::format("\n{}\n", command.details);
  }
  return text;
}

} // namespace sealexec::cli
