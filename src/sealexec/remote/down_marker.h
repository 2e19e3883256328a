// Backends found failing, remembered across processes for a short while.
// Each process marks a failed backend for the rest of its own run; without
// more, every new process (a script run, a compile in a CI job) would try a
// dead or unreachable server again, wait for its connect timeout and print
// the same warning. The first process to find a backend failing leaves
// <cache>/remote/<id>.down, its mtime the time of the failure; processes
// using the same cache skip that backend, silently and as a miss, until the
// mark is k_down_for old. Then the next process tries again.
#pragma once

#include "sealexec/cache/cache_dir.h"
#include "sealexec/remote/backend_url.h"

#include <chrono>

namespace sealexec::remote {

inline constexpr std::chrono::seconds k_down_for{30};

// Whether a process using `dir` found `backend` failing less than
// k_down_for ago. Anything unreadable is "no".
[[nodiscard]] bool recently_down(const cache::CacheDir& dir, const BackendUrl& backend);
// Records that `backend` has just failed; best effort.
void mark_down(const cache::CacheDir& dir, const BackendUrl& backend);

} // namespace sealexec::remote
