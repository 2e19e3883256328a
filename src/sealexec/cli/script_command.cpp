#include "sealexec/cli/script_command.h"

#include "sealexec/cli/cache_command.h"
#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/output.h"
#include "sealexec/cli/remote_options.h"
#include "sealexec/exec/exec.h"
#include "sealexec/image/copy.h"
#include "sealexec/script/script_runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <span>
#include <string>
#include <vector>

namespace sealexec::cli {

namespace {

constexpr std::array<OptionSpec, 4> k_script_only_options{{
    {"--flags", "", "FLAGS",
     "More compiler and linker flags, split like sh words; they come after the file's own "
     "'// sealexec:' flags"},
    {"--compiler", "", "CMD", "The compiler (default: $CC for C, $CXX for C++, else cc or c++)"},
    {"--rebuild", "", "", "Compile even when the cache holds a binary"},
    {"--verbose", "-v", "", "Say whether the binary came from the cache, and why not"},
}};
constexpr auto k_script_options = join_options(k_script_only_options, k_remote_options);

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

int run_script(const ParsedOptions& options) {
  const std::vector<std::string>& operands = options.operands();
  if (operands.empty()) {
    return report(make_error(Errc::invalid_argument, "script", "no FILE given"));
  }
  script::ScriptOptions script;
  script.script = operands.front();
  const auto language = script::language_of(operands.front());
  const char* compiler_variable = language == script::Language::c ? "CC" : "CXX";
  if (const auto compiler = options.value("--compiler")) {
    script.compiler_command = *compiler;
    script.compiler_chosen_by = "--compiler";
  } else {
    script.compiler_command = environment(compiler_variable);
    script.compiler_chosen_by = fmt::format("${}", compiler_variable);
  }
  if (const auto flags = options.value("--flags")) {
    auto words = script::split_words(*flags);
    if (!words) {
      return report(make_error(Errc::invalid_argument, "--flags",
                               "unterminated quote or trailing backslash"));
    }
    script.extra_flags = std::move(*words);
  }
  script.path_variable = environment("PATH");
  for (const std::string_view name : script::k_compiler_environment) {
    const std::string variable(name);
    if (const char* value = std::getenv(variable.c_str())) {
      script.compiler_environment.push_back(fmt::format("{}={}", variable, value));
    }
  }
  script.rebuild = options.has("--rebuild");
  if (options.has("--verbose")) {
    script.note = [path = operands.front()](std::string_view text) {
      note(fmt::format("{}: {}", path, text));
    };
  }
  // The compiler's own words, not sealexec's: passed through as they came,
  // to standard error with its other messages.
  script.compiler_output = [](std::string_view text) {
    (void)write_all(STDERR_FILENO, std::as_bytes(std::span(text.data(), text.size())),
                    "standard error");
  };

  auto cache = open_cache(options);
  if (!cache) {
    // The cache or its settings, never the script: sealexec's own failure
    // (a missing key file must not read as "script not found", 127).
    report(cache.error());
    return k_exit_failed;
  }
  auto prepared = script::prepare_script(*cache, script);
  if (!prepared) {
    return report(prepared.error());
  }
  ExecOptions exec_options;
  exec_options.argv = operands; // argv[0] is the script as it was named, like a shell script's $0
  exec_options.origin = prepared->real_path.parent_path();
  // Named like the script, as its own #! exec named the process.
  exec_options.name = std::filesystem::path(operands.front()).filename().string();
  auto launch = prepare_launch(prepared->image, exec_options);
  if (!launch) {
    return report(launch.error());
  }
  cache->prepare_for_exec(); // exec replaces us: no destructor will run
  Error error = exec(prepared->image, *launch);
  if (error.path == prepared->image.source()) {
    error.path = operands.front();
  }
  return report(error);
}

} // namespace

const Command k_script_command{
    .name = "script",
    .summary = "Compile a C or C++ FILE once, then run it from sealed memory (also: "
               "sealexec FILE.cpp).",
    .usage = "sealexec script [--flags FLAGS] [--compiler CMD] [--rebuild] [-v] [--] FILE "
             "[ARGS...]\n       sealexec FILE [ARGS...]",
    .details =
        "FILE ends in .c, .cc, .cpp, .cxx or .c++. A first line '#!/usr/bin/env sealexec' is\n"
        "replaced by '#line 2 \"FILE\"', so an executable FILE runs like a shell script.\n"
        "Lines '// sealexec: FLAGS' among the first 50 add compiler and linker flags.\n"
        "The compiler runs in FILE's directory, where \"...\" includes are found too.\n"
        "The binary is cached (sealexec cache) under the file's content, the flags, the\n"
        "compiler's identity and the headers it read; a later run loads it from the cache\n"
        "into sealed memory and runs it without starting the compiler (docs/scripts.md).\n"
        "Exit codes of sealexec's own: 124 FILE did not compile (the compiler's messages\n"
        "precede); 125 sealexec failed or bad usage; 126 FILE cannot run; 127 not found.\n"
        "Otherwise the program's own status passes through.",
    .options = k_script_options,
    .operands = Operands::program,
    .usage_exit_code = k_exit_failed,
    .run = run_script,
};

} // namespace sealexec::cli
