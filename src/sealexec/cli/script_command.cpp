#include "sealexec/cli/script_command.h"

#include "sealexec/cli/cache_command.h"
#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/memory_tier_setting.h"
#include "sealexec/cli/output.h"
#include "sealexec/cli/remote_options.h"
#include "sealexec/exec/exec.h"
#include "sealexec/image/copy.h"
#include "sealexec/script/script_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealexec::cli {

// The arguments the #! line of the file `path` gives sealexec, when that
// line names sealexec (a script of any name); nullopt otherwise. Read
// without blocking, and only a regular file's first line.
std::optional<std::vector<std::string>> shebang_arguments(std::string_view path) {
  const std::string name(path);
  const int fd = ::open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return std::nullopt;
  }
  struct stat st {};
  std::array<char, 512> head{};
  ssize_t got = -1;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    do {
      got = ::read(fd, head.data(), head.size());
    } while (got < 0 && errno == EINTR);
  }
  ::close(fd);
  if (got <= 0) {
    return std::nullopt;
  }
  return script::sealexec_shebang_arguments(
      std::string_view(head.data(), static_cast<std::size_t>(got)));
}

namespace {

constexpr std::array<OptionSpec, 9> k_script_only_options{{
    {"--flags", "", "FLAGS",
     "More compiler and linker flags, split like sh words; they come after the file's own "
     "'// sealexec:' flags"},
    {"--lang", "", "LANG", "c or c++: the script's language, whatever its name says"},
    {"--pkg", "", "NAMES",
     "Libraries by pkg-config name (zlib,sqlite3): their compile and link flags; repeatable"},
    {"--source", "", "FILE",
     "Another .c or .cpp file (relative to the script) compiled and linked with it; repeatable"},
    {"--compiler", "", "CMD", "The compiler (default: $CC for C, $CXX for C++, else cc or c++)"},
    {"--rebuild", "", "", "Compile even when the cache holds a binary"},
    {"--warnings", "", "", "Show the compiler's diagnostics, kept with the binary, on every run"},
    {"--compile-commands", "", "",
     "Write FILE's entry into compile_commands.json in its directory, for editors; do not run "
     "it"},
    {"--verbose", "-v", "",
     "Say whether the binary came from the cache, and why not; show its diagnostics"},
}};
constexpr auto k_script_options = join_options(k_script_only_options, k_remote_options);

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Every PKG_CONFIG* variable as NAME=value, sorted: they all may change
// pkg-config's answer.
std::vector<std::string> pkg_config_environment() {
  std::vector<std::string> found;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    // pkgconf also reads OBJC_INCLUDE_PATH (the compiler's variables are
    // added by the script runner).
    if (std::string_view(*entry).starts_with("PKG_CONFIG") ||
        std::string_view(*entry).starts_with("OBJC_INCLUDE_PATH=")) {
      found.emplace_back(*entry);
    }
  }
  std::ranges::sort(found);
  return found;
}

Expected<script::ScriptOptions> script_options(const ParsedOptions& options) {
  const std::vector<std::string>& operands = options.operands();
  script::ScriptOptions script;
  script.script = operands.front();
  if (const auto language = options.value("--lang")) {
    script.language = script::parse_language(*language);
    if (!script.language) {
      return fail(make_error(Errc::invalid_argument, "--lang",
                             fmt::format("'{}': the language is c or c++", *language)));
    }
  }
  for (const std::string& value : options.values("--pkg")) {
    if (auto why = script::add_packages(value, script.packages)) {
      return fail(make_error(Errc::invalid_argument, "--pkg", *why));
    }
  }
  for (std::string& source : options.values("--source")) {
    if (source.empty()) {
      return fail(make_error(Errc::invalid_argument, "--source", "needs a file name"));
    }
    // "./-x.c", not "-x.c": a file the compiler could take for an option.
    script.sources.push_back(source.starts_with('-') ? "./" + source : std::move(source));
  }
  script.compiler_option = options.value("--compiler").value_or("");
  script.cc_variable = environment("CC");
  script.cxx_variable = environment("CXX");
  if (const auto flags = options.value("--flags")) {
    auto words = script::split_words(*flags);
    if (!words) {
      return fail(make_error(Errc::invalid_argument, "--flags",
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
  script.pkg_config_command = environment("PKG_CONFIG");
  script.pkg_config_environment = pkg_config_environment();
  script.rebuild = options.has("--rebuild");
  script.show_warnings = options.has("--warnings") || options.has("--verbose");
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
  return script;
}

// --compile-commands: the entries, written; the script is not compiled.
int write_compile_commands(cache::Cache& cache, const script::ScriptOptions& script) {
  auto commands = script::editor_commands(cache, script);
  if (!commands) {
    return report(commands.error());
  }
  const std::filesystem::path database =
      std::filesystem::path(commands->front().directory) / "compile_commands.json";
  if (auto written = script::update_compile_commands(database, *commands); !written) {
    return report(written.error());
  }
  note(fmt::format("{}: its compile command is in {}", script.script.string(), database.string()));
  return k_exit_ok;
}

int run_script(const ParsedOptions& options) {
  const std::vector<std::string>& operands = options.operands();
  if (operands.empty()) {
    return report(make_error(Errc::invalid_argument, "script", "no FILE given"));
  }
  auto parsed = script_options(options);
  if (!parsed) {
    Error error = std::move(parsed).error();
    error.reason += " (see sealexec script --help)";
    report(error);
    return k_exit_failed;
  }
  const script::ScriptOptions& script = *parsed;

  auto cache = open_cache(options);
  if (!cache) {
    // The cache or its settings, never the script: sealexec's own failure
    // (a missing key file must not read as "script not found", 127).
    report(cache.error());
    return k_exit_failed;
  }
  if (options.has("--compile-commands")) {
    // The entry is for the compile ./FILE runs: with its #! line's options,
    // then the command line's.
    if (auto from_shebang = shebang_arguments(operands.front()); from_shebang &&
                                                                 !from_shebang->empty()) {
      std::vector<char*> words;
      for (std::string& word : *from_shebang) {
        words.push_back(word.data());
      }
      auto earlier = parse_options(k_script_options, words, Operands::program);
      if (!earlier || !earlier->operands().empty()) {
        return report(make_error(Errc::malformed, operands.front(),
                                 "its #! line gives sealexec arguments that are not options"));
      }
      auto combined = script_options(options.after(*earlier));
      if (!combined) {
        return report(combined.error());
      }
      return write_compile_commands(*cache, *combined);
    }
    return write_compile_commands(*cache, script);
  }
  auto memory_tier = memory_tier_from_environment();
  script::ScriptOptions with_tier = script;
  with_tier.memory_tier = memory_tier ? &*memory_tier : nullptr;
  auto prepared = script::prepare_script(*cache, with_tier);
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
               "sealexec FILE).",
    .usage = "sealexec script [OPTIONS] [--] FILE [ARGS...]\n"
             "       sealexec [OPTIONS] FILE [ARGS...]",
    .details =
        "FILE is C or C++ by --lang, else by its name (.c; .cc, .cpp, .cxx, .c++, .C), else,\n"
        "when its first line is '#!/usr/bin/env sealexec' (or names sealexec otherwise), C++.\n"
        "Then './FILE' runs it like a shell script; the #! line is replaced by\n"
        "'#line 2 \"FILE\"'. Lines '// sealexec: ...' among the first 50 add compiler and\n"
        "linker flags, and --lang, --pkg and --source as above.\n"
        "The compiler runs in FILE's directory, where \"...\" includes are found too.\n"
        "The binary is cached (sealexec cache) under the file's content, the flags, the\n"
        "compiler's identity, the .pc files of its packages and every file it read; a later\n"
        "run loads it from the cache into sealed memory and runs it without starting the\n"
        "compiler or pkg-config. A successful compile's warnings are kept, not shown:\n"
        "--warnings or -v shows them, on every run (docs/scripts.md).\n"
        "Exit codes of sealexec's own: 124 FILE did not compile, or a --pkg package is\n"
        "unknown (the compiler's or pkg-config's messages precede); 125 sealexec failed or\n"
        "bad usage; 126 FILE cannot run; 127 not found (FILE, the compiler, pkg-config).\n"
        "Otherwise the program's own status passes through.",
    .options = k_script_options,
    .operands = Operands::program,
    .usage_exit_code = k_exit_failed,
    .run = run_script,
};

} // namespace sealexec::cli
