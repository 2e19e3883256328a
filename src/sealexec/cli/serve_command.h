// `sealexec serve`: the memory tier's server (docs/serve.md).
#pragma once

#include "sealexec/cli/command.h"

namespace sealexec::cli {

extern const Command k_serve_command;

} // namespace sealexec::cli
