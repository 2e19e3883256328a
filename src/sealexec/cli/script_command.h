// `sealexec script FILE` and its shorthand `sealexec FILE`: C and C++ files
// as scripts (docs/scripts.md).
#pragma once

#include "sealexec/cli/command.h"

namespace sealexec::cli {

extern const Command k_script_command;

} // namespace sealexec::cli
