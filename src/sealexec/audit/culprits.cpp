#include "sealexec/audit/culprits.h"

#include "sealexec/util/shell_word.h"

#include <fmt/format.h>

namespace sealexec::audit {

namespace {

// How a culprit's object is loaded, which decides what glibc does with it.
enum class Role {
  program,            // the closure's root program: exec and ld.so's start-up
  startup_dependency, // needed by the root program, loaded by ld.so at start-up
  dlopen,             // the root is a library, so it and its needs come by dlopen
};

// The state of the root program's stack, for its dependencies.
struct ProgramStack {
  bool ldso = false;   // ld.so counts it as executable (PF_X, or no header on x86)
  bool kernel = false; // the kernel mapped it executable at exec
};

// Measured with glibc 2.41 in a Debian 13 chroot (FACTS.md §5, docs/check.md).
Glibc241Case::ProgramStack program_stack_state(ProgramStack program) {
  using State = Glibc241Case::ProgramStack;
  return !program.ldso ? State::not_executable
         : program.kernel ? State::executable
                          : State::no_gnu_stack;
}

std::vector<Glibc241Case> glibc_2_41_cases(Role role, ProgramStack program) {
  using Loaded = Glibc241Case::Loaded;
  using State = Glibc241Case::ProgramStack;
  std::vector<Glibc241Case> cases;
  switch (role) {
  case Role::program:
    // 0: "Fatal glibc error: executable stack is not allowed", exit 127.
    // 1: runs; the main stack is what the kernel made it (ld.so does not
    //    change it for the program itself). 2: rwx from the start.
    cases.push_back({Loaded::startup, std::nullopt, 0, true, std::nullopt});
    cases.push_back({Loaded::startup, std::nullopt, 1, false, program.kernel});
    cases.push_back({Loaded::startup, std::nullopt, 2, false, true});
    break;
  case Role::startup_dependency: {
    // 0: exit 127 (the dependency is refused, or the program itself is).
    // 1: ld.so makes the stack executable, unless it counts it as
    //    executable already: then it stays as the kernel mapped it.
    const State state = program_stack_state(program);
    cases.push_back({Loaded::startup, state, 0, true, std::nullopt});
    cases.push_back({Loaded::startup, state, 1, false, program.ldso ? program.kernel : true});
    cases.push_back({Loaded::startup, state, 2, false, true});
    break;
  }
  case Role::dlopen:
    // A program whose stack ld.so counts as not executable: dlopen fails
    // with 0 and 1 and the stack stays as it was; 2 makes it rwx first.
    cases.push_back({Loaded::dlopen, State::not_executable, 0, true, false});
    cases.push_back({Loaded::dlopen, State::not_executable, 1, true, false});
    cases.push_back({Loaded::dlopen, State::not_executable, 2, false, true});
    // A program whose stack is executable already (PF_X): with 0 it never
    // starts; otherwise dlopen works.
    cases.push_back({Loaded::dlopen, State::executable, 0, true, std::nullopt});
    cases.push_back({Loaded::dlopen, State::executable, 1, false, true});
    cases.push_back({Loaded::dlopen, State::executable, 2, false, true});
    // A program without PT_GNU_STACK: the same outcomes, but with 1 the main
    // stack stays as the kernel mapped it, non-executable.
    cases.push_back({Loaded::dlopen, State::no_gnu_stack, 0, true, std::nullopt});
    cases.push_back({Loaded::dlopen, State::no_gnu_stack, 1, false, false});
    cases.push_back({Loaded::dlopen, State::no_gnu_stack, 2, false, true});
    break;
  }
  return cases;
}

constexpr std::string_view k_tunable_0 = "glibc 2.41, glibc.rtld.execstack=0";
constexpr std::string_view k_tunable_1 = "glibc 2.41, glibc.rtld.execstack=1 (the default)";
constexpr std::string_view k_tunable_2 = "glibc 2.41, glibc.rtld.execstack=2 (Debian's backport)";
constexpr std::string_view k_old_glibc = "glibc <= 2.40 (measured on 2.36)";
constexpr std::string_view k_fatal =
    "start-up fails with exit 127: \"Fatal glibc error: executable stack is not allowed\"";

std::string enable_failure(const std::string& name, std::string_view error) {
  return fmt::format("\"{}: cannot enable executable stack as shared object requires: {}\"", name,
                     error);
}

std::vector<Prediction> program_predictions(const FileReport& report) {
  std::vector<Prediction> predictions;
  const bool kernel = report.kernel_exec_stack.value_or(false);
  if (kernel) {
    predictions.push_back(
        {"every Linux system",
         "the kernel maps the process's stack executable at exec, and glibc makes every new "
         "thread stack executable too: W^X is lost for the whole process"});
  } else {
    predictions.push_back(
        {fmt::format("{}, and glibc 2.41 with glibc.rtld.execstack=1", k_old_glibc),
         "the kernel maps the main stack non-executable, but ld.so counts the stack as "
         "executable, so every thread stack glibc creates is executable"});
  }
  predictions.push_back({std::string(k_tunable_0), std::string(k_fatal)});
  predictions.push_back({std::string(k_tunable_1),
                         kernel ? "it runs, with an executable main stack"
                                : "it runs; the main stack stays non-executable, thread stacks "
                                  "are executable"});
  predictions.push_back({std::string(k_tunable_2),
                         "it runs, with the main stack executable from the start"});
  predictions.push_back({"SELinux with execmem denied",
                         "creating threads can fail, since their stacks are mapped executable"});
  return predictions;
}

// A statically linked program: no ld.so, so only the kernel's view and the
// libc it carries (whose version and tunables are its own) count.
std::vector<Prediction> static_program_predictions(const FileReport& report) {
  std::vector<Prediction> predictions;
  if (report.kernel_exec_stack.value_or(false)) {
    predictions.push_back(
        {"every Linux system",
         "the kernel maps the process's stack executable at exec: W^X is lost for the whole "
         "process"});
  }
  predictions.push_back(
      {"every system",
       "it has no PT_INTERP, so no ld.so and none of the system's glibc (or its "
       "glibc.rtld.execstack setting) is involved: the libc linked into it, of its own "
       "version, decides whether its thread stacks are executable"});
  return predictions;
}

std::vector<Prediction> dependency_predictions(const std::string& name, ProgramStack program) {
  std::vector<Prediction> predictions;
  if (!program.ldso) {
    predictions.push_back(
        {"SELinux with execstack denied, and the Nanos unikernel",
         fmt::format("start-up fails with EACCES: \"error while loading shared libraries: {}: "
                     "cannot enable executable stack as shared object requires: Permission "
                     "denied\"",
                     name)});
  }
  predictions.push_back(
      {std::string(k_tunable_0),
       program.ldso
           ? fmt::format("{} (the program's own stack counts as executable)", k_fatal)
           : fmt::format("start-up fails with exit 127: \"error while loading shared "
                         "libraries: {}",
                         enable_failure(name, "Invalid argument").substr(1))});
  predictions.push_back(
      {std::string(k_tunable_1),
       !program.ldso ? "it runs, and ld.so makes the main stack executable as it loads it"
       : program.kernel
           ? "it runs; the program's stack is executable already"
           : "it runs; ld.so counts the stack as executable already (the program has no "
             "PT_GNU_STACK), so the main stack stays non-executable and thread stacks are "
             "executable"});
  predictions.push_back({std::string(k_tunable_2),
                         "it runs, with the main stack executable from the start"});
  predictions.push_back(
      {std::string(k_old_glibc),
       program.ldso ? "it works; the stack counts as executable already"
                    : "it works: ld.so makes the stack, and every thread stack after it, "
                      "executable"});
  return predictions;
}

std::vector<Prediction> dlopen_predictions(const std::string& name) {
  return {
      {"SELinux with execstack denied, and the Nanos unikernel",
       fmt::format("dlopen() of it fails with EACCES ({}) where ld.so has to make the stack "
                   "executable",
                   enable_failure(name, "Permission denied"))},
      {std::string(k_tunable_0),
       fmt::format("dlopen() of it fails ({}); a program whose own stack counts as executable "
                   "does not start at all ({})",
                   enable_failure(name, "Invalid argument"), k_fatal)},
      {std::string(k_tunable_1),
       fmt::format("dlopen() of it fails (NULL, errno 0; dlerror() says {}) unless the program's "
                   "stack counts as executable already (PF_X on its PT_GNU_STACK, or no "
                   "PT_GNU_STACK): then it works, and the main stack stays as it was "
                   "(executable with PF_X, non-executable without the header)",
                   enable_failure(name, "Invalid argument"))},
      {std::string(k_tunable_2), "dlopen() of it works; the main stack is executable from the "
                                 "start"},
      {std::string(k_old_glibc),
       "dlopen() of it works, and makes the stack and every thread stack after it executable"},
  };
}

constexpr std::string_view k_note_gnu_stack =
    "(and give its assembly sources .section .note.GNU-stack,\"\",@progbits)";

} // namespace

std::string execstack_remedy(const FileReport& report, const std::string& path) {
  if (report.stack_intent == StackIntent::trampolines) {
    return fmt::format(
        "keep its executable stack: its code runs GCC nested-function trampolines from the stack "
        "(after sealexec fix --force --clear-execstack {} it crashes when one runs); to do "
        "without, change the code so that no nested function's address is taken",
        shell_word(path));
  }
  if (report.stack_fix == StackFix::relink_only) {
    return fmt::format("relink {} with -Wl,-z,noexecstack {}; 'sealexec fix' cannot change it: it "
                       "has no PT_GNU_STACK header and no unused PT_NULL program header to turn "
                       "into one",
                       shell_word(path), k_note_gnu_stack);
  }
  return fmt::format("sealexec fix --clear-execstack {}, or relink it with -Wl,-z,noexecstack {}",
                     shell_word(path), k_note_gnu_stack);
}

std::vector<Culprit> find_culprits(const Closure& closure) {
  std::vector<Culprit> culprits;
  // The root decides how everything is loaded: a library root is what
  // dlopen would load (check --deps libX.so), a program is started.
  bool root_is_library = false;
  ProgramStack program;
  if (!closure.objects.empty() && closure.objects[0].report && *closure.objects[0].report) {
    const FileReport& root = **closure.objects[0].report;
    root_is_library = root.kind == ObjectKind::shared_library;
    program = {.ldso = root.ldso_exec_stack, .kernel = root.kernel_exec_stack.value_or(false)};
  }
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
    const Role role = root_is_library                       ? Role::dlopen
                      : object.via == FoundVia::main_program ? Role::program
                                                             : Role::startup_dependency;
    // The program: the kernel's view (its main stack) or ld.so's (which
    // makes its thread stacks executable, and which glibc 2.41's tunable
    // judges). Everything else: ld.so's.
    const bool execstack = role == Role::program
                               ? report.kernel_exec_stack.value_or(false) || report.ldso_exec_stack
                               : report.ldso_exec_stack;
    Culprit culprit{.object = i, .execstack = execstack, .wx = report.has(Finding::wx)};
    if (!culprit.execstack && !culprit.wx) {
      continue;
    }
    std::vector<std::string> problems;
    if (culprit.execstack) {
      const bool kernel = report.kernel_exec_stack.value_or(false);
      // A program without PT_INTERP never meets ld.so: the libc linked into
      // it decides about thread stacks and tunables, and the system's glibc
      // predictions do not apply to it.
      const bool static_program = role == Role::program && !report.interpreter;
      problems.push_back(fmt::format(
          "{} ({})",
          role != Role::program ? "requires an executable stack"
          : kernel              ? "gets an executable stack"
          : static_program      ? "gets executable thread stacks from the libc linked into it"
                                : "gets executable thread stacks from ld.so",
          report.stack_reason));
      culprit.predictions = static_program          ? static_program_predictions(report)
                            : role == Role::program ? program_predictions(report)
                            : role == Role::dlopen
                                ? dlopen_predictions(object.name)
                                : dependency_predictions(object.name, program);
      if (!static_program) {
        culprit.glibc_2_41 = glibc_2_41_cases(role, program);
      }
      culprit.intent = report.stack_intent;
      culprit.warning = stack_intent_warning(report);
      culprit.remedy = execstack_remedy(report, object.path);
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
