// `sealexec fix --clear-execstack`: give ELF files a non-executable stack,
// writing a new file and renaming it into place, never writing in place.
#pragma once

#include "sealexec/cli/command.h"

namespace sealexec::cli {

extern const Command k_fix_command;

} // namespace sealexec::cli
