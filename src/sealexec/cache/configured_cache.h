// Opening the cache the way every front end of sealexec does (the CLI, the C
// API): where it is, then its limits from cache.conf and the environment.
#pragma once

#include "sealexec/cache/cache.h"
#include "sealexec/cache/config.h"
#include "sealexec/util/error.h"

#include <filesystem>
#include <optional>

namespace sealexec::cache {

// Opens `directory`, or without one the default (default_cache_dir from
// $SEALEXEC_CACHE_DIR, $XDG_CACHE_HOME and $HOME), never $HOME itself. Its
// limits: the defaults, then <cache>/cache.conf (read through the checked
// directory, never through a link; keys this layer does not know go to
// `other`), then $SEALEXEC_CACHE_MAX_SIZE, $SEALEXEC_CACHE_MAX_ENTRIES,
// $SEALEXEC_CACHE_COMPRESSION and $SEALEXEC_LOCK_TIMEOUT.
[[nodiscard]] Expected<Cache> open_configured_cache(
    const std::optional<std::filesystem::path>& directory, const OtherSetting& other = {});

} // namespace sealexec::cache
