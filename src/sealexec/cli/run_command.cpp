#include "sealexec/cli/run_command.h"

#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/output.h"
#include "sealexec/cli/program_lookup.h"
#include "sealexec/exec/exec.h"
#include "sealexec/image/sealed_image.h"

#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::cli {

namespace {

constexpr OptionSpec k_run_options[] = {
    {"--sha256", "", "HEX",
     "Refuse to run unless the sealed bytes have this SHA-256 (64 hex digits)"},
    {"--argv0", "", "NAME", "argv[0] for the program (default: PROGRAM as given)"},
    {"--name", "", "NAME",
     "Name shown in /proc/PID/exe and ps as sealexec:NAME:DIGEST (default: PROGRAM's basename)"},
    {"--origin", "", "DIR",
     "Directory that $ORIGIN in the program's RUNPATH stands for (default: PROGRAM's directory)"},
    {"--verbose", "-v", "", "Say what is sealed and how it runs"},
};

struct RunArguments {
  std::optional<std::string> sha256; // given, even if empty
  std::string argv0;
  std::string name;
  std::string origin;
  bool verbose = false;
  std::vector<std::string> command; // PROGRAM|- and its arguments
};


Expected<ImageOptions> image_options(const RunArguments& arguments) {
  ImageOptions options;
  options.name = arguments.name;
  // An empty value is an error, not "no pin": a script whose pin variable is
  // unset must not silently run whatever it finds.
  if (arguments.sha256) {
    options.expected_sha256 = Sha256Digest::from_hex(*arguments.sha256);
    if (!options.expected_sha256) {
      return fail(make_error(Errc::invalid_argument, "--sha256",
                             "expected 64 hexadecimal digits"));
    }
  }
  return options;
}

void warn_about_lost_privileges(const SealedImage& image) {
  if (!image.lost_privileges().any()) {
    return;
  }
  warn(fmt::format("{} is {}; a copy in memory carries no set-id bits or file capabilities, so "
                   "it runs without that privilege",
                   image.source(), image.lost_privileges().describe()));
}

int run(const RunArguments& arguments) {
  if (arguments.command.empty()) {
    return report(make_error(Errc::invalid_argument, "run", "no PROGRAM given (use - for stdin)"));
  }
  const std::string& program = arguments.command.front();
  auto options = image_options(arguments);
  if (!options) {
    return report(options.error());
  }
  const bool from_stdin = program == "-";
  std::string path = program;
  if (!from_stdin) {
    const char* search_path = std::getenv("PATH");
    auto found = find_program(program, search_path ? std::optional<std::string_view>(search_path)
                                                   : std::nullopt);
    if (!found) {
      return report(found.error());
    }
    path = std::move(*found);
  }
  auto image = from_stdin ? SealedImage::from_stdin(*options)
                          : SealedImage::from_path(path, *options);
  if (!image) {
    return report(image.error());
  }
  if (arguments.verbose) {
    note(fmt::format("sealed {} ({} bytes) into memfd {}, XXH3-128 {}", image->source(),
                     image->size(), image->memfd_name(), image->digest().hex()));
  }
  warn_about_lost_privileges(*image);

  ExecOptions exec_options;
  exec_options.argv = arguments.command;
  if (from_stdin) {
    exec_options.argv.front() = arguments.name.empty() ? "stdin" : arguments.name;
  }
  if (!arguments.argv0.empty()) {
    exec_options.argv.front() = arguments.argv0;
  }
  if (!arguments.origin.empty()) {
    exec_options.origin = std::filesystem::path(arguments.origin);
  }
  auto launch = prepare_launch(*image, exec_options);
  if (!launch) {
    return report(launch.error());
  }
  for (const std::string& warning : launch->origin.warnings) {
    warn(fmt::format("{}: {}", image->source(), warning));
  }
  if (arguments.verbose && launch->origin.library_path) {
    note(fmt::format("$ORIGIN in {} '{}' stands for {}: running with LD_LIBRARY_PATH={}",
                     image->source(), launch->origin.search_path,
                     exec_options.origin.value_or(image->origin().value_or("?")).string(),
                     *launch->origin.library_path));
  }
  return report(exec(*image, *launch));
}

int run_with(const ParsedOptions& options) {
  RunArguments arguments;
  arguments.sha256 = options.value("--sha256");
  arguments.argv0 = options.value("--argv0").value_or("");
  arguments.name = options.value("--name").value_or("");
  arguments.origin = options.value("--origin").value_or("");
  arguments.verbose = options.has("--verbose");
  arguments.command = options.operands();
  return run(arguments);
}

} // namespace

const Command k_run_command{
    .name = "run",
    .summary = "Copy PROGRAM (or standard input, '-') into a sealed memfd and run it from there.",
    .usage = "sealexec run [--sha256 HEX] [--argv0 NAME] [--name NAME] [--origin DIR] [-v] [--] "
             "PROGRAM|- [ARGS...]",
    .details =
        "sealexec replaces itself with the program, so its exit status and death by signal\n"
        "pass through. Everything from PROGRAM on is the program's own arguments.\n"
        "A PROGRAM without a '/' is looked up in PATH, as env(1) does.\n"
        "Exit codes of sealexec's own: 125 sealexec failed or bad usage; 126 the program\n"
        "cannot run (not an ELF executable or #! script, wrong machine, bad interpreter,\n"
        "digest mismatch, refused by policy); 127 not found.",
    .options = k_run_options,
    .operands = Operands::program,
    .usage_exit_code = k_exit_failed,
    .run = run_with,
};

} // namespace sealexec::cli
