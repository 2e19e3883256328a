// Make-style dependency files, as `gcc -MD -MF FILE` and `clang -MD -MF FILE`
// write them: which files a compilation read. The compiler that wrote one may
// have been fed hostile paths, and the file itself may be damaged, so parsing
// is bounds-checked and limited.
#pragma once

#include "sealexec/util/error.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::script {

// Limits, so that hostile input cannot make us allocate without bound.
inline constexpr std::size_t k_max_depfile_size = 16 * 1024 * 1024;
// Counts every name as written, duplicates and -MP's phony targets included.
inline constexpr std::size_t k_max_depfile_entries = 100000;

struct Depfile {
  // The targets of the rules that have prerequisites, in order, without
  // duplicates: normally the one object file.
  std::vector<std::string> targets;
  // The prerequisites of all rules, in order, without duplicates (the first
  // occurrence is kept): the source file, then the headers it read.
  std::vector<std::string> prerequisites;
  friend bool operator==(const Depfile&, const Depfile&) = default;
};

// Parses `text`, a file of rules "targets: prerequisites" separated by blanks,
// with the quoting that gcc and clang write and GNU make reads:
//   - backslash-newline (or backslash-CR-LF) continues the line; a line
//     ending is "\n" or "\r\n";
//   - 2N+1 backslashes then a blank are N backslashes and a blank inside a
//     name; 2N backslashes then a blank are 2N backslashes ending the name
//     (gcc doubles backslashes only in front of the blank it escapes);
//   - backslashes then '#' or ':' are that character inside a name, minus
//     one backslash (gcc writes "\#" without doubling those before it);
//   - "$$" is '$'; any other backslash or '$' is itself;
//   - an unescaped '#' starts a comment that runs to the end of the logical
//     line, as in make.
// A rule's separator is the first unescaped ':' that is followed by a blank,
// a line ending, a comment or the end of the text, or else its first
// unescaped ':'. Colons before the separator belong to the target (gcc and
// clang write "dir/a:b.o: x.c" and -MP's "inc/b:c.h:" unescaped), and so do
// all colons after it to the prerequisites. Rules without prerequisites
// (such as the phony ones -MP adds for each header) contribute nothing.
// Fails with Errc::malformed, naming `name`, when the text is larger than
// k_max_depfile_size, holds a NUL byte or more than k_max_depfile_entries
// names, has a line with names but no ':', or a rule with no target.
[[nodiscard]] Expected<Depfile> parse_depfile(std::string_view text, std::string_view name);

} // namespace sealexec::script
