#include "sealexec/cli/fix_command.h"

#include "sealexec/audit/culprits.h"
#include "sealexec/audit/execstack_fix.h"
#include "sealexec/audit/file_report.h"
#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/output.h"
#include "sealexec/elf/elf_on_disk.h"

#include <fmt/format.h>

#include <cstdio>

namespace sealexec::cli {

namespace {

// fix refused a file whose code needs its executable stack (GCC
// nested-function trampolines); --force overrides. Not 1, which check
// gives to findings, nor 2, an error.
constexpr int k_exit_fix_refused = 3;

constexpr OptionSpec k_fix_options[] = {
    {"--clear-execstack", "", "",
     "Clear PF_X on PT_GNU_STACK, or add one (RW) in an unused PT_NULL slot"},
    {"--dry-run", "-n", "", "Say what would change, and change nothing"},
    {"--force", "", "",
     "Clear it even where the code needs an executable stack (nested-function trampolines)"},
    {"--output", "-o", "OUT", "Write the fixed file to OUT instead of replacing FILE"},
};

struct FixOutcome {
  std::string done;      // what happened, in words
  bool refused = false;  // trampolines and no --force: nothing was changed
};

// Fixes one file; warnings about a stack that may be wanted go to stderr.
Expected<FixOutcome> fix_one(const std::string& path, const std::optional<std::string>& output,
                             bool dry_run, bool force) {
  SEALEXEC_TRY_ASSIGN(const auto opened, elf::ElfOnDisk::open(path));
  // The same analysis check makes, so that fix decides exactly as check's
  // remedy says (judged.stack_fix).
  SEALEXEC_TRY_ASSIGN(const audit::FileReport judged, audit::analyze(opened->file(), path));
  if (judged.stack_fix == audit::StackFix::needs_force && !force) {
    report(make_error(
        Errc::policy, path,
        fmt::format("refused: its code writes GCC nested-function trampolines onto the stack "
                    "(file offset {:#x}), so it needs its executable stack and would crash "
                    "without it (--force clears it anyway)",
                    judged.trampoline_offset.value_or(0))));
    return FixOutcome{.refused = true};
  }
  // Fails, naming the relink, for a file fix cannot change (relink_only).
  SEALEXEC_TRY_ASSIGN(const audit::ExecstackPlan plan, audit::plan_clear_execstack(opened->file()));
  if (plan.action == audit::ExecstackPlan::Action::none) {
    return FixOutcome{.done = plan.description};
  }
  // Said once the change is made (or, with --dry-run, would be): a file
  // that then fails to be written needs only its error.
  std::string warning;
  if (judged.stack_intent == audit::StackIntent::trampolines) {
    warning = fmt::format("{}: cleared under --force although its code writes GCC "
                          "nested-function trampolines onto the stack (file offset {:#x}): it "
                          "crashes when one runs",
                          path, judged.trampoline_offset.value_or(0));
  } else if (judged.stack_intent != audit::StackIntent::none) {
    warning = fmt::format("{}: {}", path, audit::stack_intent_warning(judged));
  }
  const auto say_warning = [&warning] {
    if (!warning.empty()) {
      warn(warning);
    }
  };
  if (dry_run) {
    say_warning();
    return FixOutcome{.done = fmt::format("would {}", plan.description)};
  }
  const std::string destination = output.value_or(path);
  SEALEXEC_TRY(audit::write_patched_copy(path, destination, plan.patches));
  // Read the result back rather than trusting the patch.
  SEALEXEC_TRY_ASSIGN(const audit::FileReport fixed, audit::analyze_path(destination));
  if (fixed.ldso_exec_stack || fixed.kernel_exec_stack.value_or(false)) {
    return fail(make_error(Errc::system, destination,
                           "still requests an executable stack after the fix"));
  }
  say_warning();
  return FixOutcome{.done = output ? fmt::format("{} (written to {})", plan.description,
                                                 destination)
                                   : plan.description};
}

int fix(const ParsedOptions& options) {
  const auto& files = options.operands();
  const auto output = options.value("--output");
  if (!options.has("--clear-execstack")) {
    report(make_error(Errc::invalid_argument, "fix",
                      "nothing to do: --clear-execstack is the fix sealexec knows"));
    return k_exit_check_error;
  }
  if (files.empty()) {
    report(make_error(Errc::invalid_argument, "fix", "no FILE given (see sealexec fix --help)"));
    return k_exit_check_error;
  }
  if (output && files.size() != 1) {
    report(make_error(Errc::invalid_argument, "--output", "takes exactly one FILE"));
    return k_exit_check_error;
  }
  bool errors = false;
  bool refused = false;
  for (const std::string& file : files) {
    const auto done =
        fix_one(file, output, options.has("--dry-run"), options.has("--force"));
    if (!done) {
      report(done.error());
      errors = true;
      continue;
    }
    if (done->refused) {
      refused = true;
      continue;
    }
    std::printf("%s: %s\n", shown(file).c_str(), shown(done->done).c_str());
  }
  return errors ? k_exit_check_error : refused ? k_exit_fix_refused : k_exit_ok;
}

} // namespace

const Command k_fix_command{
    .name = "fix",
    .summary = "Give ELF files a non-executable stack, never writing a file in place.",
    .usage = "sealexec fix --clear-execstack [--dry-run] [--force] [-o OUT] FILE...",
    .details =
        "The fixed file is written next to the target, given the original's mode, owner and\n"
        "extended attributes (capabilities included; if one cannot be kept, nothing changes),\n"
        "fsynced and renamed over it (through a symbolic link, not over it): a process that\n"
        "has the old file mapped keeps its bytes. A file with no PT_GNU_STACK and no PT_NULL\n"
        "slot cannot be fixed this way; relink it with -Wl,-z,noexecstack. A file whose code\n"
        "writes GCC nested-function trampolines onto the stack needs its executable stack:\n"
        "fix refuses it unless --force is given. An explicit PF_X is warned about.\n"
        "Exit codes: 0 done (or nothing to do); 2 bad usage, or a file could not be fixed;\n"
        "3 a file was refused because its code needs an executable stack (and nothing\n"
        "else went wrong).",
    .options = k_fix_options,
    .operands = Operands::files,
    .usage_exit_code = k_exit_check_error,
    .run = fix,
};

} // namespace sealexec::cli
