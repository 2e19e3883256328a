#include "sealexec/audit/culprits.h"

#include <fmt/format.h>

namespace sealexec::audit {

namespace {

std::vector<Prediction> library_execstack_predictions(const std::string& name) {
  return {
      {"SELinux with execstack denied, and the Nanos unikernel",
       fmt::format("start-up fails with EACCES: \"error while loading shared libraries: {}: cannot "
                   "enable executable stack as shared object requires: Permission denied\"",
                   name)},
      {"glibc >= 2.41",
       "dlopen() of it fails with EINVAL (\"cannot enable executable stack as shared object "
       "requires\"); as a start-up dependency it is still allowed while glibc.rtld.execstack is "
       "1, the default"},
      {"glibc <= 2.40 without such a policy",
       "it works: ld.so makes the stack, and every thread stack after it, executable"},
  };
}

std::vector<Prediction> program_execstack_predictions() {
  return {
      {"every Linux system",
       "the kernel maps the process's stack executable at exec, and glibc makes every new thread "
       "stack executable too: W^X is lost for the whole process"},
      {"SELinux with execmem denied",
       "creating threads can fail, since their stacks are mapped executable"},
  };
}

} // namespace

std::vector<Culprit> find_culprits(const Closure& closure) {
  std::vector<Culprit> culprits;
  for (std::size_t i = 0; i < closure.objects.size(); ++i) {
    const ClosureObject& object = closure.objects[i];
    if (!object.report) {
      continue;
    }
    if (!*object.report) {
      if (object.via == FoundVia::main_program) {
        continue; // the caller reports a program it cannot read
      }
      culprits.push_back(Culprit{
          .object = i,
          .unloadable = true,
          .problem = fmt::format("cannot be loaded: {}", object.report->error().message()),
          .predictions = {{"every system", object.via == FoundVia::interpreter
                                               ? "exec of the program fails"
                                               : "ld.so stops at this file and the program "
                                                 "does not start"}},
          .remedy = fmt::format("replace {} with a valid ELF file for this machine, or remove it",
                                object.path)});
      continue;
    }
    const FileReport& report = **object.report;
    const bool program = object.via == FoundVia::main_program;
    Culprit culprit{.object = i,
                    .execstack = program ? report.kernel_exec_stack.value_or(false)
                                         : report.ldso_exec_stack,
                    .wx = report.has(Finding::wx)};
    if (!culprit.execstack && !culprit.wx) {
      continue;
    }
    std::vector<std::string> problems;
    if (culprit.execstack) {
      problems.push_back(fmt::format("{} an executable stack ({})",
                                     program ? "gets" : "requires", report.stack_reason));
      culprit.predictions =
          program ? program_execstack_predictions() : library_execstack_predictions(object.name);
      culprit.remedy = fmt::format(
          "sealexec fix --clear-execstack {}, or relink it with -Wl,-z,noexecstack (and give its "
          "assembly sources .section .note.GNU-stack,\"\",@progbits)",
          object.path);
    }
    if (culprit.wx) {
      problems.push_back(fmt::format("has {} writable and executable PT_LOAD segment{}",
                                     report.wx_segments.size(),
                                     report.wx_segments.size() == 1 ? "" : "s"));
      culprit.predictions.push_back(
          {"systems that enforce W^X (SELinux execmod/execmem denied, PaX MPROTECT)",
           "mapping it fails with EACCES"});
      if (culprit.remedy.empty()) {
        culprit.remedy = fmt::format("relink {} so that no segment is both writable and "
                                     "executable (check its linker script)",
                                     object.path);
      }
    }
    culprit.problem = fmt::format("{}", fmt::join(problems, "; and "));
    culprits.push_back(std::move(culprit));
  }
  return culprits;
}

} // namespace sealexec::audit
