#include "sealexec/cli/run_command.h"

#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/fd_headroom.h"
#include "sealexec/cli/memory_limit.h"
#include "sealexec/cli/memory_tier_setting.h"
#include "sealexec/cli/output.h"
#include "sealexec/exec/program_lookup.h"
#include "sealexec/audit/culprits.h"
#include "sealexec/cache/config.h"
#include "sealexec/exec/exec.h"
#include "sealexec/exec/exec_permission.h"
#include "sealexec/exec/name_link.h"
#include "sealexec/exec/self_reference.h"
#include "sealexec/exec/traced.h"
#include "sealexec/exec/execstack.h"
#include "sealexec/image/sealed_image.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::cli {

namespace {

constexpr OptionSpec k_run_options[] = {
    {"--sha256", "", "HEX",
     "Refuse to run unless the sealed bytes have this SHA-256 (64 hex digits)"},
    {"--argv0", "", "NAME",
     "argv[0] for an ELF program (default: PROGRAM as given); refused for a #! script, whose "
     "interpreter gets a path as $0"},
    {"--name", "", "NAME",
     "The program's name: its process name in ps, pgrep and killall, the last component of a "
     "script's $0, and NAME in its memfd sealexec:NAME:DIGEST (default: PROGRAM's basename)"},
    {"--origin", "", "DIR",
     "Directory that $ORIGIN in the program's RUNPATH stands for (default: PROGRAM's directory)"},
    {"--policy", "", "POLICY",
     "strict: refuse a program whose closure needs an executable stack or has W+X segments; "
     "warn (default): say so and run; off: do not look"},
    {"--max-size", "", "SIZE",
     "Refuse a PROGRAM larger than SIZE (like 512M or 2G; default for a pipe: a quarter of the "
     "memory this process may use, at most 1G; for a file: three quarters of it, at most 4G)"},
    {"--fix-execstack", "", "",
     "Clear the executable-stack request in the sealed copy of the program (not in the "
     "libraries ld.so loads from disk)"},
    {"--allow-non-executable", "", "",
     "Run PROGRAM even where the kernel would refuse to execute the file itself: no execute "
     "permission for you, or a file system mounted noexec"},
    {"--allow-self-reference", "", "",
     "Run, with a warning, a #! script that would be refused because it cannot find itself "
     "sealed: it resolves its own path's links in a loop, is a node script, or starts "
     "multiprocessing workers that re-read it"},
    {"--verbose", "-v", "", "Say what is sealed and how it runs"},
};

enum class Policy { strict, warn, off };

struct RunArguments {
  std::optional<std::string> sha256; // given, even if empty
  std::optional<std::string> max_size;
  std::string argv0;
  std::string name;
  std::string origin;
  bool verbose = false;
  Policy policy = Policy::warn;
  bool fix_execstack = false;
  bool allow_non_executable = false;
  bool allow_self_reference = false;
  std::vector<std::string> command; // PROGRAM|- and its arguments
};

// Everything wrong in the closure, one sentence per culprit.
std::vector<std::string> culprit_lines(const audit::Closure& closure) {
  std::vector<std::string> lines;
  for (const audit::Culprit& culprit : audit::find_culprits(closure)) {
    const audit::ClosureObject& object = closure.objects[culprit.object];
    const std::string who = object.via == audit::FoundVia::main_program
                                ? object.name
                                : fmt::format("{} => {}", object.name, object.path);
    lines.push_back(fmt::format("{} {}; remedy: {}", who, culprit.problem, culprit.remedy));
  }
  return lines;
}

// Applies --policy; returns an exit code when the run must stop.
// `cache` receives the linker cache; it lives until exec so that it is not
// unmapped for nothing.
std::optional<int> apply_policy(const RunArguments& arguments, const SealedImage& image,
                                const std::optional<std::filesystem::path>& origin,
                                const Launch& launch, Expected<elf::LdSoCache>& cache) {
  if (arguments.policy == Policy::off || image.kind() != ImageKind::elf) {
    return std::nullopt;
  }
  // ld.so manages without its cache, and so does the check.
  cache = elf::LdSoCache::load("/etc/ld.so.cache");
  const auto closure =
      image_closure(image, origin, find_variable(launch.envp.strings(), "LD_LIBRARY_PATH"),
                    cache ? &*cache : nullptr);
  if (!closure) {
    if (arguments.policy == Policy::strict) {
      Error error = closure.error();
      error.code = Errc::policy;
      error.reason = "refused by --policy=strict: its dependencies cannot be checked: " +
                     error.reason;
      return report(error);
    }
    warn(fmt::format("cannot check the dependencies: {}", closure.error().message()));
    return std::nullopt;
  }
  const auto lines = culprit_lines(*closure);
  if (lines.empty()) {
    return std::nullopt;
  }
  if (arguments.policy == Policy::strict) {
    std::string reason = "refused by --policy=strict: " + lines.front();
    if (lines.size() > 1) {
      reason += fmt::format(" (and {} more; see sealexec check --deps)", lines.size() - 1);
    }
    return report(make_error(Errc::policy, image.source(), reason));
  }
  for (const std::string& line : lines) {
    warn(fmt::format("{}: {}", image.source(), line));
  }
  return std::nullopt;
}


// Whether standard input is a pipe or socket, which must be read whole
// into memory before its size is known.
bool stdin_is_stream() {
  struct stat st {};
  return ::fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

Expected<ImageOptions> image_options(const RunArguments& arguments, bool from_stdin) {
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
  if (arguments.max_size) {
    const auto size = cache::parse_size(*arguments.max_size);
    if (!size) {
      return fail(make_error(Errc::invalid_argument, "--max-size",
                             fmt::format("'{}' is not a size (like 512M or 2G)",
                                         *arguments.max_size)));
    }
    options.max_size = *size;
  } else if (from_stdin && stdin_is_stream()) {
    // A file's size is known before anything is copied; a stream's is not,
    // and `yes | sealexec run -` would otherwise fill memory.
    options.max_size = default_stream_limit();
  }
  return options;
}

// A file's limit (default_file_limit) costs reading /proc/meminfo and the
// cgroup files, a tenth of a small program's run; no process is given so
// little memory that a file below this size needs it.
constexpr std::uint64_t k_file_size_always_allowed = 16 * 1024 * 1024;

// The default limit for a file, set only when it is large enough to matter.
void limit_large_file(ImageOptions& options, int fd, const std::string& path) {
  struct stat st {};
  const bool known = fd >= 0 ? ::fstat(fd, &st) == 0 : ::stat(path.c_str(), &st) == 0;
  if (known && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) > k_file_size_always_allowed) {
    options.max_size = default_file_limit();
  }
}

// "is larger than the limit of N bytes", plus how to raise the limit.
Error with_max_size_hint(Error error) {
  if (error.code == Errc::too_large) {
    error.reason += "; raise the limit with --max-size SIZE";
  }
  return error;
}

void warn_about_lost_privileges(const SealedImage& image) {
  if (!image.lost_privileges().any()) {
    return;
  }
  warn(fmt::format("{} {}; a copy in memory carries no set-id bits or file capabilities, so "
                   "it runs without that privilege",
                   image.source(), image.lost_privileges().describe()));
}

// A program that looks for itself behaves differently sealed
// (exec/self_reference.h): say so, or refuse a script that would follow its
// own links to the memfd (and may loop). Returns an exit code to stop with.
std::optional<int> check_self_reference(const RunArguments& arguments, const SealedImage& image,
                                        const Launch& launch, const ExecTarget& target,
                                        bool from_stdin) {
  const auto found = find_self_reference(image, launch.program,
                                         from_stdin ? std::nullopt : image.origin());
  if (!found || !*found) {
    return std::nullopt; // an unreadable image fails at exec, with its own message
  }
  const SelfReference& self = **found;
  const std::string seen_as =
      target.path.empty() ? fmt::format("/dev/fd/{}", target.fd) : target.path;
  const std::string where =
      self.line == 0 ? self.construct : fmt::format("{}, line {}", self.construct, self.line);
  if (self.unscanned) {
    warn(fmt::format("{}: is larger than {} MiB, so it was not checked for references to its own "
                     "path, which is {} when it runs sealed",
                     image.source(), k_max_scanned_script >> 20, seen_as));
    return std::nullopt;
  }
  // A script that cannot work sealed: refused, unless the caller insists.
  const auto refuse = [&](const std::string& reason) {
    return report(make_error(Errc::not_runnable, image.source(),
                             reason + "; run it directly, or pass --allow-self-reference"));
  };
  if (self.always_fails) {
    if (!arguments.allow_self_reference) {
      return refuse("is a node script, and node resolves its main script's real path, which for "
                    "a sealed script is the memfd (/memfd:…): it cannot run sealed");
    }
    warn(fmt::format("{}: node resolves its main script's real path, which is the memfd when it "
                     "runs sealed",
                     image.source()));
    return std::nullopt;
  }
  if (self.respawns_itself && !arguments.allow_self_reference) {
    return refuse(fmt::format(
        "starts multiprocessing workers with 'spawn' or 'forkserver' (line {}), which re-read "
        "the script from its path without its sealed descriptor and fail, so a Pool would "
        "start them again for ever",
        self.line));
  }
  if (self.resolves_links && !arguments.allow_self_reference) {
    return refuse(fmt::format(
        "uses its own path and resolves links or walks up directories in a loop ({}; {}, line "
        "{}); its own path leads to the sealed memfd, not to its directory, so it would look "
        "for its files in the wrong place or loop forever",
        where, self.resolver, self.resolver_line));
  }
  if (self.construct == "libjli.so") {
    warn(fmt::format("{}: finds its home through /proc/self/exe (it links libjli.so, OpenJDK's "
                     "launcher), which is the memfd when it runs sealed; run it directly",
                     image.source()));
  } else if (self.construct == ".fpcdata") {
    warn(fmt::format("{}: is a Free Pascal program, whose ParamStr(0) and home come from "
                     "/proc/self/exe, which is the memfd when it runs sealed",
                     image.source()));
  } else if (self.construct.starts_with("import ")) {
    warn(fmt::format("{}: imports a module that lives next to it ({}), but sealed, Python "
                     "looks for it in /proc/self/fd, where the name link leads; run it directly or set "
                     "PYTHONPATH",
                     image.source(), self.construct));
  } else {
    warn(fmt::format("{}: refers to its own path ({}), which is {} when it runs sealed",
                     image.source(), where, seen_as));
  }
  return std::nullopt;
}

// Under a tracer, an ELF program runs from its file when that holds exactly
// the sealed bytes, so that a debugger can read its symbols (exec/traced.h).
// Returns only if it cannot: with the exit code of a failed exec, or nullopt
// (after a warning) for the sealed copy to run as usual.
std::optional<int> run_traced(const SealedImage& image, const std::string& path,
                              const Launch& launch, pid_t tracer) {
  const std::string tracer_name = process_name(tracer);
  const std::string who = fmt::format("pid {}{}", tracer,
                                      tracer_name.empty() ? "" : fmt::format(" ({})", tracer_name));
  std::string why_not;
  auto file = open_if_identical(path, image, why_not);
  if (!file || !*file) {
    warn(fmt::format("{}: traced by {}, but {}: running the sealed copy, whose symbols a "
                     "debugger cannot read from /memfd:…",
                     image.source(), who, file ? why_not : file.error().message()));
    return std::nullopt;
  }
  if (!(*file)->lease.still_held()) {
    warn(fmt::format("{}: traced by {}, but a writer is waiting to open its file: running the "
                     "sealed copy, whose symbols a debugger cannot read from /memfd:…",
                     image.source(), who));
    return std::nullopt;
  }
  note(fmt::format("{}: traced by {}: running it from its file, which holds exactly the sealed "
                   "bytes, so that the tracer can read its symbols",
                   image.source(), who));
  exec_fd((*file)->fd.get(), launch.argv.data(), launch.envp.data());
  Error error = system_error("cannot execute", image.source(), "execveat");
  error.code = Errc::not_runnable;
  return report(error);
}

int run(const RunArguments& arguments) {
  FdHeadroom headroom;
  if (arguments.command.empty()) {
    return report(make_error(Errc::invalid_argument, "run", "no PROGRAM given (use - for stdin)"));
  }
  const std::string& program = arguments.command.front();
  const bool from_stdin = program == "-";
  auto options = image_options(arguments, from_stdin);
  if (!options) {
    return report(options.error());
  }
  auto memory_tier = memory_tier_from_environment();
  options->memory_tier = memory_tier ? &*memory_tier : nullptr;
  options->remember_digests = true;
  std::string path = program;
  if (!from_stdin) {
    const char* search_path = std::getenv("PATH");
    auto found = find_program(program, search_path ? std::optional<std::string_view>(search_path)
                                                   : std::nullopt);
    if (!found) {
      return report(found.error());
    }
    path = std::move(*found);
    if (!arguments.allow_non_executable) {
      if (auto allowed = check_exec_permission(path); !allowed) {
        return report(allowed.error());
      }
    }
  }
  if (!arguments.max_size && !(from_stdin && stdin_is_stream())) {
    limit_large_file(*options, from_stdin ? STDIN_FILENO : -1, path);
  }
  auto image = from_stdin ? SealedImage::from_stdin(*options)
                          : SealedImage::from_path(path, *options);
  if (!image) {
    return report(explain_unreadable(with_max_size_hint(std::move(image).error()), path));
  }
  if (arguments.verbose) {
    note(fmt::format("{} {} ({} bytes){} memfd {}, XXH3-128 {}",
                     image->from_memory_tier() ? "took" : "sealed", image->source(),
                     image->size(), image->from_memory_tier() ? " from the memory tier:" : " into",
                     image->memfd_name(), image->digest().hex()));
  }
  warn_about_lost_privileges(*image);
  if (arguments.fix_execstack && image->kind() == ImageKind::elf) {
    const std::string basename =
        arguments.name.empty() ? std::filesystem::path(path).filename().string() : arguments.name;
    auto patched = clear_execstack(*image, from_stdin && arguments.name.empty() ? "stdin" : basename);
    if (!patched) {
      return report(patched.error());
    }
    if (*patched) {
      *image = std::move(**patched);
      if (arguments.verbose) {
        note(fmt::format("cleared the executable-stack request in the sealed copy: memfd {}",
                         image->memfd_name()));
      }
    }
  }

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
  exec_options.name = !arguments.name.empty() ? arguments.name
                      : from_stdin          ? std::string("stdin")
                                            : std::filesystem::path(path).filename().string();
  if (!arguments.argv0.empty() && image->kind() == ImageKind::script) {
    return report(make_error(
        Errc::invalid_argument, "--argv0",
        "has no effect on a #! script: the kernel hands its interpreter the script's path as $0, "
        "not argv[0]; --name NAME sets the last component of that path"));
  }
  auto launch = prepare_launch(*image, exec_options);
  if (!launch) {
    return report(launch.error());
  }
  Expected<elf::LdSoCache> cache = fail(make_error(Errc::system, "", "not loaded"));
  if (const auto stop = apply_policy(arguments, *image, exec_options.origin ? exec_options.origin
                                                                           : image->origin(),
                                     *launch, cache)) {
    return *stop;
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
  auto target = prepare_exec_target(*image, *launch);
  if (!target) {
    return report(target.error());
  }
  if (target->unnamed && image->kind() == ImageKind::script) {
    warn(fmt::format("{}: runs as /dev/fd/{}, so $0 does not end in its name: {}", image->source(),
                     target->fd, target->unnamed->message()));
  } else if (target->unnamed) {
    warn(fmt::format("{}: runs unnamed (ps, pgrep and killall see memfd:sealexec:): {}",
                     image->source(), target->unnamed->message()));
  }
  if (arguments.verbose && !target->path.empty()) {
    note(fmt::format("running it under the name {}, through {}", launch->name, target->path));
  }
  if (!from_stdin && image->kind() == ImageKind::elf) {
    if (const pid_t tracer = tracer_pid(); tracer != 0) {
      headroom.restore();
      if (const auto stop = run_traced(*image, path, *launch, tracer)) {
        return *stop;
      }
    }
  }
  if (const auto stop = check_self_reference(arguments, *image, *launch, *target, from_stdin)) {
    return *stop;
  }
  headroom.restore();
  return report(exec(*image, *launch, *target));
}

int run_with(const ParsedOptions& options) {
  RunArguments arguments;
  arguments.sha256 = options.value("--sha256");
  arguments.max_size = options.value("--max-size");
  arguments.argv0 = options.value("--argv0").value_or("");
  arguments.name = options.value("--name").value_or("");
  if (options.value("--name") && !is_usable_name(arguments.name)) {
    return report(make_error(Errc::invalid_argument, "--name",
                             fmt::format("'{}' cannot be a file name (it is empty, '.' or '..', "
                                         "has a '/', or is longer than 255 bytes)",
                                         arguments.name)));
  }
  arguments.origin = options.value("--origin").value_or("");
  arguments.verbose = options.has("--verbose");
  arguments.fix_execstack = options.has("--fix-execstack");
  arguments.allow_non_executable = options.has("--allow-non-executable");
  arguments.allow_self_reference = options.has("--allow-self-reference");
  const std::string policy = options.value("--policy").value_or("warn");
  if (policy == "strict") {
    arguments.policy = Policy::strict;
  } else if (policy == "off") {
    arguments.policy = Policy::off;
  } else if (policy != "warn") {
    return report(make_error(Errc::invalid_argument, "--policy",
                             fmt::format("'{}' is not strict, warn or off", policy)));
  }
  arguments.command = options.operands();
  return run(arguments);
}

} // namespace

const Command k_run_command{
    .name = "run",
    .summary = "Copy PROGRAM (or standard input, '-') into a sealed memfd and run it from there.",
    .usage = "sealexec run [--sha256 HEX] [--argv0 NAME] [--name NAME] [--origin DIR]\n"
             "                    [--policy strict|warn|off] [--max-size SIZE] [--fix-execstack]\n"
             "                    [--allow-non-executable] [--allow-self-reference] [-v]\n"
             "                    [--] PROGRAM|- [ARGS...]",
    .details =
        "sealexec replaces itself with the program, so its exit status and death by signal\n"
        "pass through. Everything from PROGRAM on is the program's own arguments.\n"
        "A PROGRAM without a '/' is looked up in PATH, as env(1) does.\n"
        "Exit codes of sealexec's own: 125 sealexec failed, bad usage, or PROGRAM larger\n"
        "than --max-size; 126 the program cannot run (not an ELF executable or #! script,\n"
        "wrong machine, bad interpreter, digest mismatch, refused by policy, not executable\n"
        "by you or on a noexec mount, unreadable, a script that cannot find itself sealed,\n"
        "or it kept changing while it was copied); 127 not found.\n"
        "The program keeps its name (ps, pgrep, a script's $0 ends in it), but not its\n"
        "path: /proc/self/exe is the memfd, and a script's $0 is a link in sealexec's\n"
        "runtime directory. Programs that look for themselves are warned about.",
    .options = k_run_options,
    .operands = Operands::program,
    .usage_exit_code = k_exit_failed,
    .run = run_with,
};

} // namespace sealexec::cli
