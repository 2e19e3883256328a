// Which objects of a closure will make a hardened system refuse the program,
// and what will happen where.
#pragma once

#include "sealexec/audit/closure.h"

#include <cstddef>
#include <string>
#include <vector>

namespace sealexec::audit {

struct Prediction {
  std::string system;  // "glibc >= 2.41", "SELinux (execstack denied), Nanos"...
  std::string outcome; // what happens there
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
  std::string remedy;
};

// Every object of `closure` that needs an executable stack (the kernel's
// view for the program, ld.so's for everything else), has a W+X segment, or
// cannot be loaded at all, with the predicted outcome on each kind of system.
// (A library that is simply not found is not a culprit: ld.so says so itself.)
[[nodiscard]] std::vector<Culprit> find_culprits(const Closure& closure);

} // namespace sealexec::audit
