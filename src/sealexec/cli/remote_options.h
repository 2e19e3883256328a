// The remote tier as the CLI configures it (docs/remote.md): cache.conf keys,
// then SEALEXEC_REMOTE and friends, then these flags, each overriding the
// one before; then the keys are loaded and the tier put below the cache.
#pragma once

#include "sealexec/cache/cache.h"
#include "sealexec/cli/options.h"
#include "sealexec/remote/remote_settings.h"

#include <array>

namespace sealexec::cli {

inline constexpr std::array<OptionSpec, 4> k_remote_options{{
    {"--remote", "", "URL[,URL]",
     "Share entries through these backends: redis://, redis+unix://, http(s):// (or none)"},
    {"--signing-key", "", "FILE", "Sign what this machine writes to the remote with FILE.key"},
    {"--trusted-keys", "", "FILE[:FILE]", "Accept remote entries signed by these public keys"},
    {"--insecure-remote", "", "",
     "Use remote entries without checking signatures (anyone who can write to the remote can "
     "then run code here)"},
}};

// Applies the environment and the flags to `settings` (which holds what
// cache.conf said) and, when backends remain, gives `cache` its shared tier.
// A key that cannot be used is an error; a tier that cannot read (no
// trusted key) or reads insecurely is a warning.
[[nodiscard]] Expected<void> attach_remote(cache::Cache& cache, remote::RemoteSettings settings,
                                           const ParsedOptions& options);

} // namespace sealexec::cli
