// `sealexec cache ...`: the compiled-code cache for shell scripts and build
// systems (docs/cache.md).
#pragma once

#include "sealexec/cache/cache.h"
#include "sealexec/cli/command.h"

namespace sealexec::cli {

extern const Command k_cache_command;

// Whether the command reads or writes entries, and so uses the remote tier
// if one is configured; maintenance of the local store does not (and does
// not warn about the remote's settings).
enum class RemoteUse { entries, none };

// The cache a command works on: its directory and limits from the defaults,
// <dir>/cache.conf, the environment and the flags (--dir, --max-size,
// --max-entries, where the command has them), in that order.
[[nodiscard]] Expected<cache::Cache> open_cache(const ParsedOptions& options,
                                                RemoteUse remote = RemoteUse::entries);

} // namespace sealexec::cli
