#include "sealexec/cli/command.h"

#include <string_view>

namespace sealexec::cli {

int program_start(const CLI::App& subcommand, int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      return i + 1;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      return i; // PROGRAM, or "-" for standard input
    }
    const bool has_inline_value = arg.find('=') != std::string_view::npos;
    const std::string name(arg.substr(0, arg.find('=')));
    const CLI::Option* option = subcommand.get_option_no_throw(name);
    // Flags expect no items; options expect at least one value.
    if (option != nullptr && option->get_expected_min() > 0 && !has_inline_value) {
      ++i; // the option's value, even if it starts with '-'
    }
  }
  return argc;
}

} // namespace sealexec::cli
