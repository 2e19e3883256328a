// Opening the file a program comes from, and what its metadata says.
#pragma once

#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace sealexec {

// Privileges a file would grant when exec'd from disk. A memfd copy has no
// set-id bits and no security.capability xattr, so all of these are lost when
// it runs from memory.
struct Privileges {
  bool setuid = false;
  bool setgid = false;
  bool file_capabilities = false;
  uid_t owner = 0; // whom setuid would have made the process
  gid_t group = 0; // the group setgid would have given it
  [[nodiscard]] bool any() const { return setuid || setgid || file_capabilities; }
  // "is setuid (owner uid 0), has file capabilities (security.capability)",
  // or "" when none: a predicate for "PATH ...".
  [[nodiscard]] std::string describe() const;
};

// Reads the set-id bits from `st` and the security.capability xattr through
// `fd`. Never through a path: for a memfd, the path that /proc shows
// ("/memfd:x (deleted)") does not exist, and a getxattr on it fails with
// ENOENT, which crashed rr's recorder (rr-debugger/rr#3894).
[[nodiscard]] Privileges privileges_of(int fd, const struct stat& st);

// What kind of file `st` describes, for messages: "a directory", "a fifo"...
[[nodiscard]] std::string_view file_type_name(const struct stat& st);

struct OpenedProgram {
  Fd fd;
  struct stat st {};
};

// Opens `path` read-only to load a program from it. Refuses, with one clear
// error each, what does not exist (Errc::not_found), cannot be read, or is not
// a regular file (Errc::not_runnable). Opens with O_NONBLOCK so that a fifo
// is refused instead of blocking until a writer appears; the flag stays set.
[[nodiscard]] Expected<OpenedProgram> open_program(const std::filesystem::path& path);

} // namespace sealexec
