// Per-backend statistics of the remote tier, kept beside the cache's own in
// a cache::StatsFile, <cache>/stats/remote: each process that used a backend
// appends one line per backend,
//   "v1 <backend> hits=N misses=N errors=N timeouts=N rejected=N puts=N"
// and readers sum the lines. Only processes that reached past the local
// store write a line, so the file grows with misses and puts, not hits; the
// writer that finds it large folds it (one line per backend), as gc folds
// the cache's counters: no count is lost or doubled (cache/stats_file.h).
#pragma once

#include "sealexec/cache/cache_dir.h"
#include "sealexec/cache/stats_file.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealexec::remote {

struct BackendCounters {
  std::uint64_t hits = 0;     // entries fetched, verified and used
  std::uint64_t misses = 0;   // the backend had nothing (or was marked failed)
  std::uint64_t errors = 0;   // connection or server failures
  std::uint64_t timeouts = 0; // operations cut off by a timeout
  std::uint64_t rejected = 0; // unsigned, forged, untrusted, another key's, rolled back
                              // (older than the key's high-water mark) or wrong bytes
  std::uint64_t puts = 0;     // entries written

  BackendCounters& operator+=(const BackendCounters& other);
  [[nodiscard]] bool empty() const;
  friend bool operator==(const BackendCounters&, const BackendCounters&) = default;
};

using BackendTotals = std::vector<std::pair<std::string, BackendCounters>>;

[[nodiscard]] std::string format_backend_counters(std::string_view backend,
                                                  const BackendCounters& counters);
// Sums the lines of `text` per backend, in order of first appearance;
// skips lines it cannot read (the file is input like any other).
void add_backend_counters(BackendTotals& totals, std::string_view text);

[[nodiscard]] Expected<void> append_backend_counters(const cache::CacheDir& dir,
                                                     std::string_view backend,
                                                     const BackendCounters& counters);
[[nodiscard]] Expected<BackendTotals> read_backend_counters(const cache::CacheDir& dir);
// Folds the file once it is larger than `threshold_bytes` (and finishes
// folds whose process died, and takes in an older sealexec's
// "<pid>.remote-folding" files once they are an hour old), keeping every
// count. Does nothing while another process folds.
[[nodiscard]] Expected<void> fold_backend_counters(const cache::CacheDir& dir,
                                                   std::uint64_t threshold_bytes = 64 * 1024);
[[nodiscard]] Expected<void> fold_backend_counters(const cache::CacheDir& dir,
                                                   const cache::FoldOptions& options);

} // namespace sealexec::remote
