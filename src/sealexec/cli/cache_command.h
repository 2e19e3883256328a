// `sealexec cache ...`: the compiled-code cache for shell scripts and build
// systems (docs/cache.md).
#pragma once

#include "sealexec/cli/command.h"

namespace sealexec::cli {

extern const Command k_cache_command;

} // namespace sealexec::cli
