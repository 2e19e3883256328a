#include "sealexec/cli/run_command.h"

#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/output.h"
#include "sealexec/exec/exec.h"
#include "sealexec/image/sealed_image.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

namespace sealexec::cli {

namespace {

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

void warn_about_lost_privileges(const SealedImage& image, const std::string& program) {
  if (!image.lost_privileges().any()) {
    return;
  }
  struct stat st {};
  if (::stat(program.c_str(), &st) != 0) {
    st = {};
  }
  warn(fmt::format("{} is {}; a copy in memory carries no set-id bits or file capabilities, so "
                   "it runs without that privilege",
                   image.source(), image.lost_privileges().describe(st)));
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
  auto image = from_stdin ? SealedImage::from_stdin(*options)
                          : SealedImage::from_path(program, *options);
  if (!image) {
    return report(image.error());
  }
  if (arguments.verbose) {
    note(fmt::format("sealed {} ({} bytes) into memfd {}, XXH3-128 {}", image->source(),
                     image->size(), image->memfd_name(), image->digest().hex()));
  }
  warn_about_lost_privileges(*image, program);

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

} // namespace

Command add_run_command(CLI::App& app) {
  auto arguments = std::make_shared<RunArguments>();
  CLI::App* command = app.add_subcommand(
      "run", "Copy PROGRAM (or standard input, '-') into a sealed memfd and run it from there");
  command->footer(
      "Usage: sealexec run [--sha256 HEX] [--argv0 NAME] [--name NAME] [--origin DIR] [--] "
      "PROGRAM|- [ARGS...]\n\nsealexec replaces itself with the program, so its exit status and death by signal pass "
      "through.\nExit codes of its own: 125 sealexec failed, 126 the program cannot run (not an "
      "ELF\nexecutable or #! script, bad interpreter, digest mismatch, refused by policy), 127 "
      "not found.");
  command->add_option("--sha256", arguments->sha256,
                      "Refuse to run unless the sealed bytes have this SHA-256 (64 hex digits)");
  command->add_option("--argv0", arguments->argv0,
                      "argv[0] for the program (default: PROGRAM as given)");
  command->add_option("--name", arguments->name,
                      "Name shown in /proc/PID/exe and ps as sealexec:NAME:DIGEST "
                      "(default: PROGRAM's basename)");
  command->add_option("--origin", arguments->origin,
                      "Directory that $ORIGIN in the program's RUNPATH stands for "
                      "(default: PROGRAM's directory)");
  command->add_flag("-v,--verbose", arguments->verbose, "Say what is sealed and how it runs");
  return Command{.app = command,
                 .takes_program = true,
                 .run = [arguments](std::vector<std::string> program) {
                   arguments->command = std::move(program);
                   return run(*arguments);
                 }};
}

} // namespace sealexec::cli
