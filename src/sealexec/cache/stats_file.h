// A statistics file under <cache>/stats, kept without a lock: every process
// appends its counts as one line with a single O_APPEND write, which Linux
// never interleaves with another, and readers sum the lines.
//
// Folding keeps the file small: the file is renamed to
// stats/<pid><folding suffix>, its lines are summed, the sum is appended as
// fresh lines, and the folded file is removed. Readers also read the files
// of folds in progress, so a fold that crashes loses nothing (the next one
// finishes it; a crash between its last two steps counts one batch twice).
// A process that opened the file just before the rename and writes just
// after the sum can lose its one line: statistics, not data.
//
// What the lines mean is the caller's: this file only moves them.
#pragma once

#include "sealexec/cache/cache_dir.h"
#include "sealexec/util/error.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sealexec::cache {

// Receives whole lines, several at a time, never more than a bounded chunk.
using StatsLines = std::function<void(std::string_view lines)>;

// Called at each step of an append or a fold with the step's name, so that a
// test can stop or kill the process at an exact point. Empty in normal use.
using StatsObserver = std::function<void(std::string_view step)>;

struct FoldOptions {
  // Fold the file once it is larger than this.
  std::uint64_t threshold_bytes = 64 * 1024;
  // How long ago (ctime) an older sealexec's fold file must have been made
  // before a fold takes it in.
  std::chrono::seconds legacy_grace{3600};
  StatsObserver observer;
};

class StatsFile {
public:
  // `name` under stats/ ("counters"); a fold of it is "<pid><folding_suffix>".
  StatsFile(const CacheDir& dir, std::string_view name, std::string_view folding_suffix)
      : m_dir(dir), m_name(name), m_folding_suffix(folding_suffix) {}

  // One write of `text`, which should be whole lines; nothing for "".
  [[nodiscard]] Expected<void> append(std::string_view text,
                                      const StatsObserver& observer = {}) const;
  // Feeds `add` the lines of the file and of folds in progress, however
  // large they have grown.
  [[nodiscard]] Expected<void> read(const StatsLines& add) const;
  // Once the file is larger than `threshold_bytes`, and for folds whose
  // process died: feeds their lines to `add`, then appends `summary()`.
  [[nodiscard]] Expected<void> fold(const FoldOptions& options, const StatsLines& add,
                                    const std::function<std::string()>& summary) const;

private:
  [[nodiscard]] std::string path(std::string_view file) const;
  [[nodiscard]] bool is_fold(std::string_view file, int* owner) const;

  const CacheDir& m_dir;
  std::string m_name;
  std::string m_folding_suffix;
};

} // namespace sealexec::cache
