// `sealexec run`: copy a program into sealed memory and replace ourselves
// with it.
#pragma once

#include "sealexec/cli/command.h"

namespace sealexec::cli {

extern const Command k_run_command;

} // namespace sealexec::cli
