#include "sealexec/cache/stats_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <ctime>
#include <optional>
#include <vector>

namespace sealexec::cache {

namespace {

constexpr std::size_t k_chunk = 64 * 1024;
// A writer whose file is folded under it opens the new one; a reader whose
// files are moved by a fold lists again. Each retry needs a fold that
// started or finished within microseconds, so these are never reached in
// practice.
constexpr int k_append_attempts = 16;
constexpr int k_read_attempts = 64;
// A writer holds its shared lock for one fstat, one fstatat and one write;
// a fold waits this long for it (1 ms at a time) and otherwise leaves the
// file for the next fold. Only a writer stopped in the middle (SIGSTOP, a
// debugger) makes it wait that long.
constexpr int k_input_lock_attempts = 50;

void observe(const StatsObserver& observer, std::string_view step) {
  if (observer) {
    observer(step);
  }
}

// A canonical decimal: digits only, no leading zero, at most `max`; 0 when
// not.
std::uint64_t parse_canonical(std::string_view digits, std::uint64_t max) {
  if (digits.empty() || digits.size() > 19 || digits.front() == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return error == std::errc{} && end == digits.data() + digits.size() && value <= max ? value : 0;
}

bool is_lower_hex(std::string_view text, std::size_t size) {
  return text.size() == size && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

} // namespace

// What a fold or a reader needs to know of stats/: regular files only, since
// a directory, link or device under one of our names is not ours.
struct StatsListing {
  std::uint64_t base = 0;            // the highest base generation, 0 if none
  std::vector<std::uint64_t> folds;  // fold generations above `base`, ascending
  std::vector<DirEntry> legacy;      // older sealexecs' folds, by name
  std::optional<struct stat> live;   // <name>
  std::uint64_t highest = 0;         // the highest generation of any entry, of any type
  std::vector<std::string> stale;    // covered by `base`, or a dead folder's temp file

  // The same counted files (lines may have been appended to them since).
  [[nodiscard]] bool same_counted_files(const StatsListing& other) const {
    return base == other.base && folds == other.folds &&
           std::equal(legacy.begin(), legacy.end(), other.legacy.begin(), other.legacy.end(),
                      [](const DirEntry& a, const DirEntry& b) { return a.name == b.name; });
  }
};

// What a fold takes in: fold files, by generation, and the highest
// generation any name has, which the new base must exceed.
struct StatsFoldInputs {
  std::vector<std::uint64_t> generations;
  std::uint64_t highest = 0;
};

namespace {

StatsListing list_stats(int stats_dir, std::string_view name, std::string_view legacy_suffix) {
  StatsListing listing;
  std::vector<std::uint64_t> bases;
  std::vector<std::uint64_t> folds;
  std::vector<std::string> temps;
  for (DirEntry& file : list_directory(stats_dir)) {
    const StatsFileName what = classify_stats_file(file.name, name, legacy_suffix);
    listing.highest = std::max(listing.highest, what.generation);
    if (!S_ISREG(file.st.st_mode)) {
      continue;
    }
    switch (what.kind) {
    case StatsFileKind::live:
      listing.live = file.st;
      break;
    case StatsFileKind::fold:
      folds.push_back(what.generation);
      break;
    case StatsFileKind::base:
      bases.push_back(what.generation);
      break;
    case StatsFileKind::temp:
      temps.push_back(std::move(file.name));
      break;
    case StatsFileKind::legacy:
      listing.legacy.push_back(std::move(file));
      break;
    case StatsFileKind::lock:
    case StatsFileKind::other:
      break;
    }
  }
  if (!bases.empty()) {
    listing.base = *std::max_element(bases.begin(), bases.end());
  }
  for (const std::uint64_t generation : bases) {
    if (generation < listing.base) {
      listing.stale.push_back(fmt::format("{}.base.{}", name, generation));
    }
  }
  std::sort(folds.begin(), folds.end());
  for (const std::uint64_t generation : folds) {
    if (generation > listing.base) {
      listing.folds.push_back(generation);
    } else {
      listing.stale.push_back(fmt::format("{}.fold.{}", name, generation));
    }
  }
  listing.stale.insert(listing.stale.end(), temps.begin(), temps.end());
  std::sort(listing.legacy.begin(), listing.legacy.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return listing;
}

bool old_enough(const DirEntry& legacy, std::chrono::seconds grace) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return legacy.st.st_ctim.tv_sec <= now.tv_sec - grace.count();
}

// Whether a fold has anything to do; looked at without the lock first,
// since most calls find nothing.
bool fold_has_work(const StatsListing& listing, const FoldOptions& options) {
  return (listing.live && static_cast<std::uint64_t>(listing.live->st_size) >
                              options.threshold_bytes) ||
         !listing.folds.empty() || !listing.stale.empty() ||
         std::any_of(listing.legacy.begin(), listing.legacy.end(),
                     [&](const DirEntry& file) { return old_enough(file, options.legacy_grace); });
}

// Waits (boundedly) until no writer is between its check and its write.
bool lock_exclusively(int fd) {
  for (int attempt = 0; attempt < k_input_lock_attempts; ++attempt) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      return true;
    }
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return false;
    }
    const timespec millisecond{.tv_sec = 0, .tv_nsec = 1'000'000};
    ::nanosleep(&millisecond, nullptr);
  }
  return false;
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t wrote = ::write(fd, text.data(), text.size());
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(wrote));
  }
  return true;
}

} // namespace

StatsFileName classify_stats_file(std::string_view file, std::string_view name,
                                  std::string_view legacy_suffix) {
  if (file.starts_with(name)) {
    const std::string_view rest = file.substr(name.size());
    if (rest.empty()) {
      return {.kind = StatsFileKind::live};
    }
    if (rest == ".lock") {
      return {.kind = StatsFileKind::lock};
    }
    for (const auto& [prefix, kind] : {std::pair{".fold.", StatsFileKind::fold},
                                      std::pair{".base.", StatsFileKind::base}}) {
      const std::string_view prefix_view = prefix;
      if (rest.starts_with(prefix_view)) {
        const std::uint64_t generation =
            parse_canonical(rest.substr(prefix_view.size()), k_max_stats_generation);
        return generation == 0 ? StatsFileName{} : StatsFileName{.kind = kind, .generation = generation};
      }
    }
    if (rest.starts_with(".tmp.") && is_lower_hex(rest.substr(5), 16)) {
      return {.kind = StatsFileKind::temp};
    }
  }
  // What an older sealexec named its folds: fmt("{}{}", getpid(), suffix).
  if (!legacy_suffix.empty() && file.ends_with(legacy_suffix) &&
      parse_canonical(file.substr(0, file.size() - legacy_suffix.size()), INT_MAX) != 0) {
    return {.kind = StatsFileKind::legacy};
  }
  return {};
}

void read_stats_lines(int fd, const StatsLines& add) {
  std::vector<char> buffer(k_chunk);
  std::string carry; // a line cut by the chunk boundary
  bool overlong = false;
  for (ssize_t got; (got = ::read(fd, buffer.data(), buffer.size())) > 0;) {
    std::string_view rest(buffer.data(), static_cast<std::size_t>(got));
    if (overlong) {
      const std::size_t end = rest.find('\n');
      if (end == std::string_view::npos) {
        continue;
      }
      rest.remove_prefix(end + 1);
      overlong = false;
    }
    const std::size_t last_newline = rest.rfind('\n');
    if (last_newline == std::string_view::npos) {
      overlong = carry.size() + rest.size() > k_chunk;
      if (overlong) {
        carry.clear();
      } else {
        carry.append(rest);
      }
      continue;
    }
    carry.append(rest.substr(0, last_newline + 1));
    add(carry);
    carry.assign(rest.substr(last_newline + 1));
  }
  if (!carry.empty()) {
    add(carry);
  }
}

std::string StatsFile::path(std::string_view file) const { return fmt::format("stats/{}", file); }

Expected<void> StatsFile::append(std::string_view text, const StatsObserver& observer) const {
  if (text.empty()) {
    return {};
  }
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, m_dir.subdirectory("stats"));
  // The newline ends a line that a writer killed mid-write left cut short,
  // which would otherwise swallow this one; readers skip empty lines.
  const std::string line = fmt::format("\n{}", text);
  for (int attempt = 0; attempt < k_append_attempts; ++attempt) {
    SEALEXEC_TRY_ASSIGN(const Fd file,
                        m_dir.open_beneath(path(m_name), O_WRONLY | O_APPEND | O_CREAT, 0600));
    observe(observer, "opened");
    // A fold renames the file before it locks it exclusively and reads it.
    // Holding the shared lock, a file that is still called m_name cannot
    // have been read yet, and will not be until this write is done; one
    // that is not (or is locked) was taken by a fold: open the new one.
    if (::flock(file.get(), LOCK_SH | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        continue;
      }
      return fail(system_error("cannot record statistics in", m_dir.describe(path(m_name)),
                               "flock"));
    }
    struct stat opened {};
    struct stat named {};
    if (::fstat(file.get(), &opened) != 0 ||
        ::fstatat(stats_dir.get(), m_name.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0 ||
        opened.st_dev != named.st_dev || opened.st_ino != named.st_ino) {
      continue;
    }
    observe(observer, "checked");
    if (::write(file.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      return fail(system_error("cannot record statistics in", m_dir.describe(path(m_name)),
                               "write"));
    }
    observe(observer, "written");
    return {};
  }
  return fail(make_error(Errc::changed, m_dir.describe(path(m_name)),
                         "cannot record statistics: the file kept being folded"));
}

Expected<void> StatsFile::read(const StatsLines& add, const StatsObserver& observer) const {
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, m_dir.subdirectory("stats"));
  for (int attempt = 0; attempt < k_read_attempts; ++attempt) {
    const StatsListing before = list_stats(stats_dir.get(), m_name, m_legacy_suffix);
    std::vector<std::string> counted;
    if (before.base != 0) {
      counted.push_back(fmt::format("{}.base.{}", m_name, before.base));
    }
    for (const std::uint64_t generation : before.folds) {
      counted.push_back(fmt::format("{}.fold.{}", m_name, generation));
    }
    for (const DirEntry& legacy : before.legacy) {
      counted.push_back(legacy.name);
    }
    if (before.live) {
      counted.push_back(m_name);
    }
    // Open everything first: an open file keeps its lines even when a fold
    // renames or removes it. Then, if the directory still shows the same
    // files, no fold moved lines between them while they were being opened.
    std::vector<Fd> files;
    bool vanished = false;
    for (const std::string& file : counted) {
      auto opened = m_dir.open_beneath(path(file), O_RDONLY | O_NONBLOCK);
      if (!opened) {
        if (opened.error().sys_errno != ENOENT) {
          return fail(std::move(opened).error());
        }
        vanished = true;
        break;
      }
      files.push_back(std::move(*opened));
      observe(observer, "opened");
    }
    if (vanished ||
        !before.same_counted_files(list_stats(stats_dir.get(), m_name, m_legacy_suffix))) {
      continue;
    }
    for (const Fd& file : files) {
      read_stats_lines(file.get(), add);
    }
    return {};
  }
  return fail(make_error(Errc::changed, m_dir.describe("stats"),
                         "cannot read statistics: folds kept moving them"));
}

Expected<void> StatsFile::fold(const FoldOptions& options, const StatsLines& add,
                               const std::function<std::string()>& summary) const {
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, m_dir.subdirectory("stats"));
  const int dir = stats_dir.get();
  if (!fold_has_work(list_stats(dir, m_name, m_legacy_suffix), options)) {
    return {};
  }
  const std::string lock_name = m_name + ".lock";
  SEALEXEC_TRY_ASSIGN(const Fd lock,
                      m_dir.open_beneath(path(lock_name), O_RDONLY | O_CREAT, 0600));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return {}; // another process is folding
    }
    return fail(system_error("cannot fold", m_dir.describe(path(lock_name)), "flock"));
  }
  observe(options.observer, "locked");
  // Under the lock, nothing but writers' appends changes our files.
  const StatsListing listing = list_stats(dir, m_name, m_legacy_suffix);
  std::vector<std::string> remove = listing.stale;
  SEALEXEC_TRY_ASSIGN(const StatsFoldInputs inputs, take_inputs(dir, listing, options));
  if (!inputs.generations.empty()) {
    SEALEXEC_TRY_ASSIGN(const bool committed, commit(dir, listing.base, inputs, add, summary,
                                                      options.observer));
    if (!committed) {
      return {};
    }
    if (listing.base != 0) {
      remove.push_back(fmt::format("{}.base.{}", m_name, listing.base));
    }
    for (const std::uint64_t generation : inputs.generations) {
      remove.push_back(fmt::format("{}.fold.{}", m_name, generation));
    }
  }
  // Only files that no longer count (a dead folder's included).
  for (const std::string& file : remove) {
    ::unlinkat(dir, file.c_str(), 0);
    observe(options.observer, "removed");
  }
  return {};
}

Expected<StatsFoldInputs> StatsFile::take_inputs(int dir, const StatsListing& listing,
                                                 const FoldOptions& options) const {
  // The folds a dead folder left, then legacy folds and the file itself
  // under new generations: a rename moves lines from one counted name to
  // another, so the total is the same before and after each.
  StatsFoldInputs inputs{.generations = listing.folds, .highest = listing.highest};
  const auto take = [&](const std::string& file) -> Expected<void> {
    if (inputs.highest + 2 > k_max_stats_generation) {
      return {}; // no generation left for it and the base: it stays counted as it is
    }
    const std::string fold_name = fmt::format("{}.fold.{}", m_name, inputs.highest + 1);
    if (::renameat(dir, file.c_str(), dir, fold_name.c_str()) != 0) {
      // ENOENT: an older sealexec finished its fold, or renamed the file.
      return errno == ENOENT ? Expected<void>{}
                             : fail(system_error("cannot fold", m_dir.describe(path(file)),
                                                 "renameat"));
    }
    inputs.generations.push_back(++inputs.highest);
    observe(options.observer, "renamed");
    return {};
  };
  for (const DirEntry& legacy : listing.legacy) {
    if (old_enough(legacy, options.legacy_grace)) {
      SEALEXEC_TRY(take(legacy.name));
    }
  }
  if (listing.live &&
      static_cast<std::uint64_t>(listing.live->st_size) > options.threshold_bytes) {
    SEALEXEC_TRY(take(m_name));
  }
  return inputs;
}

Expected<bool> StatsFile::commit(int dir, std::uint64_t base, const StatsFoldInputs& inputs,
                                 const StatsLines& add,
                                 const std::function<std::string()>& summary,
                                 const StatsObserver& observer) const {
  if (inputs.highest >= k_max_stats_generation) {
    return false; // a planted name took the last generation; counted as they are
  }
  std::vector<Fd> files;
  for (const std::uint64_t generation : inputs.generations) {
    SEALEXEC_TRY_ASSIGN(Fd file,
                        m_dir.open_beneath(path(fmt::format("{}.fold.{}", m_name, generation)),
                                           O_RDONLY | O_NONBLOCK));
    // A writer stopped between its check and its write: the file stays
    // counted as a fold in progress, and a later fold takes it.
    if (!lock_exclusively(file.get())) {
      return false;
    }
    observe(observer, "input locked");
    files.push_back(std::move(file));
  }
  if (base != 0) {
    SEALEXEC_TRY_ASSIGN(const Fd file,
                        m_dir.open_beneath(path(fmt::format("{}.base.{}", m_name, base)),
                                           O_RDONLY | O_NONBLOCK));
    read_stats_lines(file.get(), add);
  }
  for (const Fd& file : files) {
    read_stats_lines(file.get(), add);
  }
  observe(observer, "read");
  // Above every input's generation: base.G stops them counting the moment
  // it starts counting itself.
  SEALEXEC_TRY(write_base(dir, inputs.highest + 1, summary(), observer));
  // Before anything it covers is removed.
  if (::fsync(dir) != 0) {
    return fail(system_error("cannot fold", m_dir.describe("stats"), "fsync"));
  }
  observe(observer, "synced");
  return true;
}

Expected<void> StatsFile::write_base(int stats_dir, std::uint64_t generation,
                                     std::string_view text, const StatsObserver& observer) const {
  // Our own temporary name, so that a dead folder's is recognised and removed.
  std::string temp;
  Fd file;
  for (int attempt = 0; attempt < 16 && !file; ++attempt) {
    std::uint64_t random = 0;
    if (::getrandom(&random, sizeof random, 0) != sizeof random) {
      random = (static_cast<std::uint64_t>(::getpid()) << 32) ^ generation ^
               static_cast<std::uint64_t>(attempt);
    }
    temp = fmt::format("{}.tmp.{:016x}", m_name, random);
    auto created = m_dir.open_beneath(path(temp), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (created) {
      file = std::move(*created);
    } else if (created.error().sys_errno != EEXIST) {
      return fail(std::move(created).error());
    }
  }
  if (!file) {
    return fail(make_error(Errc::system, m_dir.describe("stats"), "no unique temporary name found"));
  }
  // The sum must be on disk before its name is, since the files it covers
  // are removed next.
  if (!write_all(file.get(), text) || ::fsync(file.get()) != 0) {
    Error error = system_error("cannot write", m_dir.describe(path(temp)), "write");
    ::unlinkat(stats_dir, temp.c_str(), 0);
    return fail(std::move(error));
  }
  observe(observer, "written");
  const std::string base = fmt::format("{}.base.{}", m_name, generation);
  if (::renameat(stats_dir, temp.c_str(), stats_dir, base.c_str()) != 0) {
    Error error = system_error("cannot fold", m_dir.describe(path(base)), "renameat");
    ::unlinkat(stats_dir, temp.c_str(), 0);
    return fail(std::move(error));
  }
  observe(observer, "committed");
  return {};
}

} // namespace sealexec::cache
