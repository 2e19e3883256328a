// `sealexec check`: find the objects that need an executable stack or break
// W^X, and say so in a table or in JSON.
#pragma once

#include "sealexec/cli/command.h"

namespace sealexec::cli {

extern const Command k_check_command;

} // namespace sealexec::cli
