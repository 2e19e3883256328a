// A statistics file under <cache>/stats: every process appends its counts as
// one line with a single O_APPEND write, and readers sum the lines. Folding
// keeps it small, and a process killed at any point of a fold, or of another
// process's append, neither loses nor doubles a line (a writer killed in the
// middle of its own write may leave part of its line). What the lines mean
// is the caller's.
//
// The files, each recognised by its exact name (nothing else in stats/ is
// ever counted, renamed or removed):
//   <name>             lines appended since the last fold ("counters")
//   <name>.fold.<K>    lines a fold took out of <name> (or out of a legacy
//                      file) by renaming it
//   <name>.base.<G>    the sum of every file folded up to generation G,
//                      written as <name>.tmp.<16 hex digits> and renamed in
//   <name>.lock        flock'd exclusively by the one process folding;
//                      released by the kernel when it dies
//   <pid><suffix>      an older sealexec's fold in progress ("123.folding")
// The total is the highest base.M, plus every fold.K with K > M, plus
// <name>, plus the legacy files. Generations only grow.
//
// A fold, under the lock (a busy lock means another process is folding:
// skip): renames <name> and legacy files older than a grace period to new
// fold.K names; locks each fold file exclusively, so that no writer adds a
// line to it after it is read; sums base.M and the fold files; writes
// base.G for a G above every K and renames it in; then removes base.M, the
// fold files and a dead folder's temporary file. Every rename moves lines from one counted name to another,
// and base.G appears in one rename that also stops the files it covers from
// counting, so the total is the same after each step; what a dead folder
// left is finished by the next fold, whatever PID namespace either ran in.
//
// A writer opens <name>, takes a shared flock without waiting, checks that
// the file it opened is still the one called <name>, writes, closes. A
// writer that opened <name> just before a fold renamed it therefore either
// writes before the fold reads the file or finds out and writes into the
// new <name>. Each line is written with a newline before it, so that a line
// cut short by kill -9 in the middle of its write (the kernel stops a write
// between pages) ends there rather than swallowing the next one.
//
// Readers list the directory, open what counts, and list again: if a fold
// moved anything in between they start over (a bounded number of times).
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
  // before a fold takes it in: that sealexec, which knows no lock, finishes
  // its own fold within milliseconds, and a file it is still working on
  // must not be counted twice.
  std::chrono::seconds legacy_grace{3600};
  StatsObserver observer;
};

struct StatsListing;    // what stats/ holds (stats_file.cpp)
struct StatsFoldInputs; // what a fold takes in (stats_file.cpp)

class StatsFile {
public:
  // `name` under stats/ ("counters"); an older sealexec's folds of it are
  // "<pid><legacy_fold_suffix>" (".folding").
  StatsFile(const CacheDir& dir, std::string_view name, std::string_view legacy_fold_suffix)
      : m_dir(dir), m_name(name), m_legacy_suffix(legacy_fold_suffix) {}

  // One write of `text`, which should be whole lines; nothing for "".
  // Errc::changed if the file was folded under it every time it tried.
  [[nodiscard]] Expected<void> append(std::string_view text,
                                      const StatsObserver& observer = {}) const;
  // Feeds `add` every counted line once, however large the files have
  // grown. Errc::changed if folds kept moving the files while it read.
  [[nodiscard]] Expected<void> read(const StatsLines& add,
                                    const StatsObserver& observer = {}) const;
  // When the file is larger than the threshold, a dead folder left work or
  // an older sealexec left a fold: feeds `add` the lines of the last total
  // and of what is being folded, then stores `summary()` as the new total.
  // Does nothing when another process is folding.
  [[nodiscard]] Expected<void> fold(const FoldOptions& options, const StatsLines& add,
                                    const std::function<std::string()>& summary) const;

private:
  [[nodiscard]] std::string path(std::string_view file) const;
  // Renames what a fold takes in to fold files.
  [[nodiscard]] Expected<StatsFoldInputs> take_inputs(int stats_dir, const StatsListing& listing,
                                                      const FoldOptions& options) const;
  // Sums `base` and `inputs` into a new base; false when it had to leave
  // them as they are (still counted) for a later fold.
  [[nodiscard]] Expected<bool> commit(int stats_dir, std::uint64_t base,
                                      const StatsFoldInputs& inputs, const StatsLines& add,
                                      const std::function<std::string()>& summary,
                                      const StatsObserver& observer) const;
  [[nodiscard]] Expected<void> write_base(int stats_dir, std::uint64_t generation,
                                          std::string_view text,
                                          const StatsObserver& observer) const;

  const CacheDir& m_dir;
  std::string m_name;
  std::string m_legacy_suffix;
};

enum class StatsFileKind { live, fold, base, temp, lock, legacy, other };

struct StatsFileName {
  StatsFileKind kind = StatsFileKind::other;
  std::uint64_t generation = 0; // of a fold or base file
};

// Generations are canonical decimals from 1 to this; larger ones are not ours.
inline constexpr std::uint64_t k_max_stats_generation = 1'000'000'000'000'000'000;

// What `file`, a name in stats/, is to the statistics file `name`: only the
// exact names this code makes (canonical decimals, 16 lowercase hex digits
// for a temporary file) and the legacy "<pid><legacy_suffix>" (a canonical
// positive int) are recognised; anything else is `other`.
[[nodiscard]] StatsFileName classify_stats_file(std::string_view file, std::string_view name,
                                                std::string_view legacy_suffix);

// Feeds `add` the whole lines of the open file `fd` from where it stands, in
// bounded chunks; a last line without its newline (a writer mid-write, or
// damage) is fed alone. A line longer than a chunk is no counter line: it is
// skipped to its end rather than held in memory.
void read_stats_lines(int fd, const StatsLines& add);

} // namespace sealexec::cache
