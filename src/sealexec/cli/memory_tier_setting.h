// Whether and how the commands that load programs use the memory tier
// (docs/serve.md): on unless SEALEXEC_MEMORY_TIER says off.
#pragma once

#include "sealexec/image/memory_tier.h"

#include <optional>

namespace sealexec::cli {

// The memory tier as SEALEXEC_MEMORY_TIER configures it ("off", "0", "no"
// or "false" turn it off; unset, "on", "1", "yes" or "true" leave it on; any
// other value is warned about once and taken as off), starting this very
// program's `serve --on-demand` when no server answers. nullopt when off.
[[nodiscard]] std::optional<MemoryTier> memory_tier_from_environment();

} // namespace sealexec::cli
