#include "sealexec/cli/fix_command.h"

#include "sealexec/audit/execstack_fix.h"
#include "sealexec/audit/file_report.h"
#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/output.h"
#include "sealexec/elf/elf_on_disk.h"

#include <fmt/format.h>

#include <cstdio>

namespace sealexec::cli {

namespace {

constexpr OptionSpec k_fix_options[] = {
    {"--clear-execstack", "", "",
     "Clear PF_X on PT_GNU_STACK, or add one (RW) in an unused PT_NULL slot"},
    {"--dry-run", "-n", "", "Say what would change, and change nothing"},
    {"--output", "-o", "OUT", "Write the fixed file to OUT instead of replacing FILE"},
};

Expected<audit::ExecstackPlan> plan_for(const std::string& path) {
  SEALEXEC_TRY_ASSIGN(const auto opened, elf::ElfOnDisk::open(path));
  return audit::plan_clear_execstack(opened->file());
}

// Fixes one file; returns what happened, in words.
Expected<std::string> fix_one(const std::string& path, const std::optional<std::string>& output,
                              bool dry_run) {
  SEALEXEC_TRY_ASSIGN(const audit::ExecstackPlan plan, plan_for(path));
  if (plan.action == audit::ExecstackPlan::Action::none) {
    return plan.description;
  }
  if (dry_run) {
    return fmt::format("would {}", plan.description);
  }
  const std::string destination = output.value_or(path);
  SEALEXEC_TRY(audit::write_patched_copy(path, destination, plan.patches));
  // Read the result back rather than trusting the patch.
  SEALEXEC_TRY_ASSIGN(const audit::FileReport fixed, audit::analyze_path(destination));
  if (fixed.ldso_exec_stack || fixed.kernel_exec_stack.value_or(false)) {
    return fail(make_error(Errc::system, destination,
                           "still requests an executable stack after the fix"));
  }
  return output ? fmt::format("{} (written to {})", plan.description, destination)
                : plan.description;
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
  int status = k_exit_ok;
  for (const std::string& file : files) {
    const auto done = fix_one(file, output, options.has("--dry-run"));
    if (!done) {
      report(done.error());
      status = k_exit_check_error;
      continue;
    }
    std::printf("%s: %s\n", shown(file).c_str(), shown(*done).c_str());
  }
  return status;
}

} // namespace

const Command k_fix_command{
    .name = "fix",
    .summary = "Give ELF files a non-executable stack, never writing a file in place.",
    .usage = "sealexec fix --clear-execstack [--dry-run] [-o OUT] FILE...",
    .details =
        "The fixed file is written next to the target, given the original's mode and owner,\n"
        "fsynced and renamed over it (through a symbolic link, not over it): a process that\n"
        "has the old file mapped keeps its bytes. A file with no PT_GNU_STACK and no PT_NULL\n"
        "slot cannot be fixed this way; relink it with -Wl,-z,noexecstack.\n"
        "Exit codes: 0 done (or nothing to do); 2 bad usage, or a file could not be fixed.",
    .options = k_fix_options,
    .operands = Operands::files,
    .usage_exit_code = k_exit_check_error,
    .run = fix,
};

} // namespace sealexec::cli
