// Cache statistics: each Cache counts in memory and appends one line to
// <cache>/stats/counters when it is done (a StatsFile: summed by readers,
// never waited for). gc folds the file so that it stays small; a process
// killed at any point neither loses nor doubles a count (stats_file.h).
#pragma once

#include "sealexec/cache/cache_dir.h"
#include "sealexec/cache/stats_file.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace sealexec::cache {

struct Counters {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t puts = 0;
  std::uint64_t corrupt = 0;   // entries found damaged and quarantined
  std::uint64_t evicted = 0;   // entries removed by gc for the limits
  std::uint64_t gc_runs = 0;

  Counters& operator+=(const Counters& other);
  [[nodiscard]] bool empty() const;
  friend bool operator==(const Counters&, const Counters&) = default;
};

// "v1 hits=1 misses=0 ..." and back. Parsing skips what it does not know
// (the file is input like any other), returning what it could read.
[[nodiscard]] std::string format_counters(const Counters& counters);
[[nodiscard]] Counters parse_counters(std::string_view text);

[[nodiscard]] Expected<void> append_counters(const CacheDir& dir, const Counters& counters);
[[nodiscard]] Expected<Counters> read_counters(const CacheDir& dir);
// Folds stats/counters into one line once it is larger than
// `threshold_bytes`; also finishes folds whose process died, and takes in an
// older sealexec's "<pid>.folding" files once they are an hour old. Does
// nothing while another process folds.
[[nodiscard]] Expected<void> fold_counters(const CacheDir& dir,
                                           std::uint64_t threshold_bytes = 64 * 1024);
[[nodiscard]] Expected<void> fold_counters(const CacheDir& dir, const FoldOptions& options);

} // namespace sealexec::cache
