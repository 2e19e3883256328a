// Keeping the LD_LIBRARY_PATH that $ORIGIN needs from reaching a program's
// children.
//
// exec/origin.h hands ld.so the program's $ORIGIN directories through
// LD_LIBRARY_PATH. ld.so reads that variable once, at start-up; left in the
// environment, it would also reach every program the program starts, which
// then load the bundled libraries instead of their own (a bundled
// lib/libz.so.1 in front of curl's libssh2: "undefined symbol: inflateEnd").
// So the program also gets LD_PRELOAD=sealexec-restore-env.so, whose
// constructor puts LD_LIBRARY_PATH and LD_PRELOAD back as the caller had
// them before the program's own code runs (src/preload/restore_env.c).
#pragma once

#include "sealexec/exec/runnable.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec {

// The restorer: next to the running sealexec, in ../libexec/sealexec, or in
// the installed libexec/sealexec; only a regular file that nobody but root
// or we can change, on a path without spaces or colons (which LD_PRELOAD
// cannot express). nullopt when there is none.
[[nodiscard]] const std::optional<std::string>& env_restorer();

// Whether `program` would load the restorer: dynamically linked, for the
// host's own ELF class and machine, with glibc's loader (ld-linux*).
// Another loader would refuse it, and say so on the program's stderr.
[[nodiscard]] bool can_preload_restorer(const RunnableProgram& program);

// Sets LD_LIBRARY_PATH to `library_path` in `env` for the program alone:
// with `restorer` preloaded, and the caller's values of LD_LIBRARY_PATH and
// LD_PRELOAD saved for it to put back. A variable that is set is replaced
// where it stands, so the restored environment keeps the caller's order.
void set_library_path_for_program_only(std::vector<std::string>& env,
                                       std::string_view library_path,
                                       std::string_view restorer);

} // namespace sealexec
