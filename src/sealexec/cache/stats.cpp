#include "sealexec/cache/stats.h"

#include "sealexec/util/counter_words.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::cache {

namespace {

using Field = CounterField<Counters>;
constexpr std::array k_fields{Field{"hits", &Counters::hits},
                              Field{"misses", &Counters::misses},
                              Field{"puts", &Counters::puts},
                              Field{"corrupt", &Counters::corrupt},
                              Field{"evicted", &Counters::evicted},
                              Field{"gc_runs", &Counters::gc_runs}};

constexpr std::string_view k_folding_suffix = ".folding";

// Sums the counter lines of the open file, reading it in bounded chunks
// however large it has grown.
Counters sum_file(int fd) {
  Counters total;
  std::vector<char> buffer(64 * 1024);
  std::string carry; // a line cut by the chunk boundary
  for (ssize_t got; (got = ::read(fd, buffer.data(), buffer.size())) > 0;) {
    std::string_view chunk(buffer.data(), static_cast<std::size_t>(got));
    const std::size_t last_newline = chunk.rfind('\n');
    if (last_newline == std::string_view::npos) {
      carry.append(chunk);
      continue;
    }
    carry.append(chunk.substr(0, last_newline + 1));
    total += parse_counters(carry);
    carry.assign(chunk.substr(last_newline + 1));
  }
  return total += parse_counters(carry);
}

// The pid in "<pid>.folding", if the name is one.
std::optional<int> folding_owner(std::string_view name) {
  if (!name.ends_with(k_folding_suffix)) {
    return std::nullopt;
  }
  int pid = 0;
  const auto digits = name.substr(0, name.size() - k_folding_suffix.size());
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (error != std::errc{} || end != digits.data() + digits.size() || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

} // namespace

Counters& Counters::operator+=(const Counters& other) {
  for (const Field& field : k_fields) {
    this->*field.member += other.*field.member;
  }
  return *this;
}

bool Counters::empty() const { return *this == Counters{}; }

std::string format_counters(const Counters& counters) {
  return "v1" + format_counter_words(counters, k_fields) + "\n";
}

Counters parse_counters(std::string_view text) {
  Counters total;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (!line.starts_with("v1 ")) {
      continue;
    }
    Counters counters;
    if (parse_counter_words(line.substr(3), k_fields, counters)) {
      total += counters;
    }
  }
  return total;
}

Expected<void> append_counters(const CacheDir& dir, const Counters& counters) {
  if (counters.empty()) {
    return {};
  }
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, dir.subdirectory("stats"));
  (void)stats_dir;
  SEALEXEC_TRY_ASSIGN(const Fd file, dir.open_beneath("stats/counters",
                                                      O_WRONLY | O_APPEND | O_CREAT, 0600));
  const std::string line = format_counters(counters);
  if (::write(file.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    return fail(system_error("cannot record statistics in", dir.describe("stats/counters"),
                             "write"));
  }
  return {};
}

Expected<Counters> read_counters(const CacheDir& dir) {
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, dir.subdirectory("stats"));
  Counters total;
  for (const DirEntry& file : list_directory(stats_dir.get())) {
    if (!S_ISREG(file.st.st_mode) || (file.name != "counters" && !folding_owner(file.name))) {
      continue;
    }
    // Gone meanwhile (a fold finished): its counts are in "counters" now.
    if (auto opened = dir.open_beneath("stats/" + file.name, O_RDONLY | O_NONBLOCK)) {
      total += sum_file(opened->get());
    }
  }
  return total;
}

Expected<void> fold_counters(const CacheDir& dir, std::uint64_t threshold_bytes) {
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, dir.subdirectory("stats"));
  struct stat st {};
  const bool large = ::fstatat(stats_dir.get(), "counters", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > threshold_bytes;
  const std::string mine = fmt::format("{}{}", ::getpid(), k_folding_suffix);
  if (large && ::renameat(stats_dir.get(), "counters", stats_dir.get(), mine.c_str()) != 0 &&
      errno != ENOENT) {
    return fail(system_error("cannot fold", dir.describe("stats/counters"), "renameat"));
  }
  // Ours, and those of folds whose process died.
  std::vector<std::string> folded;
  Counters total;
  for (const DirEntry& file : list_directory(stats_dir.get())) {
    const auto owner = folding_owner(file.name);
    if (!owner || !S_ISREG(file.st.st_mode) ||
        !(*owner == ::getpid() || (::kill(*owner, 0) != 0 && errno == ESRCH))) {
      continue;
    }
    if (auto opened = dir.open_beneath("stats/" + file.name, O_RDONLY | O_NONBLOCK)) {
      total += sum_file(opened->get());
      folded.push_back(file.name);
    }
  }
  if (folded.empty()) {
    return {};
  }
  SEALEXEC_TRY(append_counters(dir, total));
  for (const std::string& name : folded) {
    ::unlinkat(stats_dir.get(), name.c_str(), 0);
  }
  return {};
}

} // namespace sealexec::cache
