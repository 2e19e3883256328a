// Which objects of a closure will make a hardened system refuse the program,
// and what will happen where.
#pragma once

#include "sealexec/audit/closure.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::audit {

struct Prediction {
  std::string system;  // "glibc 2.41, glibc.rtld.execstack=0", "SELinux (execstack denied)"...
  std::string outcome; // what happens there
};

// One measured case of glibc 2.41 (docs/check-json.md, "glibc_2_41"): how the
// culprit is loaded, with which program stack and tunable, and the result.
struct Glibc241Case {
  enum class Loaded { startup, dlopen };
  Loaded loaded = Loaded::startup;
  // The program's stack before the culprit is loaded: executable (PF_X),
  // not executable, or, without PT_GNU_STACK where ld.so's default is RWX,
  // executable in ld.so's view only (the kernel mapped it non-executable and
  // ld.so, believing it executable already, never changes it). nullopt when
  // the culprit is the program.
  enum class ProgramStack { not_executable, executable, no_gnu_stack };
  std::optional<ProgramStack> program_stack;
  int tunable = 1; // glibc.rtld.execstack: 0 refuse, 1 default, 2 force
  bool refused = false;
  // The main thread's [stack] once it runs; nullopt when it never ran.
  std::optional<bool> stack_executable;
};

struct Culprit {
  std::size_t object = 0; // index into Closure::objects
  bool execstack = false; // needs (or gets) an executable stack
  bool wx = false;        // has a writable and executable segment
  // ld.so found a file it cannot load (not ELF, truncated, unreadable), or
  // the ELF interpreter is missing: the program does not start anywhere.
  bool unloadable = false;
  std::string problem;    // one sentence: what is wrong and why
  std::vector<Prediction> predictions;
  std::vector<Glibc241Case> glibc_2_41; // for execstack culprits
  // Why the executable stack may be wanted on purpose (empty when there is
  // no sign): clearing it may break the object.
  StackIntent intent = StackIntent::none;
  std::string warning;
  std::string remedy;
};

// Every object of `closure` that needs an executable stack (the kernel's
// or ld.so's view for the program, ld.so's for everything else), has a W+X
// segment, or cannot be loaded at all, with the predicted outcome on each
// kind of system. A closure whose root is a shared library is judged as
// dlopen would load it. (A library that is simply not found is not a
// culprit: ld.so says so itself.)
[[nodiscard]] std::vector<Culprit> find_culprits(const Closure& closure);

// What to do about the executable stack of `report` (found at `path`), in
// words: what `sealexec fix` really does with it (report.stack_fix), else a
// relink; or, for code that needs it, why it should stay.
[[nodiscard]] std::string execstack_remedy(const FileReport& report, const std::string& path);

} // namespace sealexec::audit
