#include "sealexec/remote/remote_stats.h"

#include "sealexec/util/counter_words.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace sealexec::remote {

namespace {

using Field = CounterField<BackendCounters>;
constexpr std::array k_fields{Field{"hits", &BackendCounters::hits},
                              Field{"misses", &BackendCounters::misses},
                              Field{"errors", &BackendCounters::errors},
                              Field{"timeouts", &BackendCounters::timeouts},
                              Field{"rejected", &BackendCounters::rejected},
                              Field{"puts", &BackendCounters::puts}};

constexpr std::string_view k_file = "stats/remote";
constexpr std::size_t k_max_file_size = 16 * 1024 * 1024;
constexpr std::size_t k_max_backends_listed = 256;

} // namespace

BackendCounters& BackendCounters::operator+=(const BackendCounters& other) {
  for (const Field& field : k_fields) {
    this->*field.member += other.*field.member;
  }
  return *this;
}

bool BackendCounters::empty() const { return *this == BackendCounters{}; }

std::string format_backend_counters(std::string_view backend, const BackendCounters& counters) {
  // Backend names come from parsed URLs, which have no blanks; a line must
  // stay one line whatever it is given.
  std::string name(backend);
  for (char& c : name) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return "v1 " + name + format_counter_words(counters, k_fields) + "\n";
}

void add_backend_counters(BackendTotals& totals, std::string_view text) {
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (!line.starts_with("v1 ")) {
      continue;
    }
    line.remove_prefix(3);
    const std::size_t space = line.find(' ');
    const std::string_view backend = line.substr(0, space);
    if (backend.empty() || backend.size() > 4096 || space == std::string_view::npos) {
      continue;
    }
    line.remove_prefix(space + 1);
    BackendCounters counters;
    if (!parse_counter_words(line, k_fields, counters)) {
      continue;
    }
    auto known = std::find_if(totals.begin(), totals.end(),
                              [&](const auto& entry) { return entry.first == backend; });
    if (known != totals.end()) {
      known->second += counters;
    } else if (totals.size() < k_max_backends_listed) {
      totals.emplace_back(std::string(backend), counters);
    }
  }
}

Expected<void> append_backend_counters(const cache::CacheDir& dir, std::string_view backend,
                                       const BackendCounters& counters) {
  if (counters.empty()) {
    return {};
  }
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, dir.subdirectory("stats"));
  (void)stats_dir;
  SEALEXEC_TRY_ASSIGN(const Fd file,
                      dir.open_beneath(std::string(k_file), O_WRONLY | O_APPEND | O_CREAT, 0600));
  const std::string line = format_backend_counters(backend, counters);
  if (::write(file.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    return fail(system_error("cannot record statistics in", dir.describe(std::string(k_file)),
                             "write"));
  }
  return {};
}

Expected<BackendTotals> read_backend_counters(const cache::CacheDir& dir) {
  BackendTotals totals;
  auto file = dir.open_beneath(std::string(k_file), O_RDONLY | O_NONBLOCK);
  if (!file) {
    if (file.error().sys_errno == ENOENT) {
      return totals;
    }
    return fail(std::move(file).error());
  }
  struct stat st {};
  if (::fstat(file->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return totals;
  }
  // Only the first k_max_file_size bytes count; statistics, not data.
  std::string text(std::min<std::size_t>(static_cast<std::size_t>(st.st_size), k_max_file_size),
                   '\0');
  std::size_t used = 0;
  for (ssize_t got; used < text.size() &&
                    (got = ::read(file->get(), text.data() + used, text.size() - used)) > 0;) {
    used += static_cast<std::size_t>(got);
  }
  text.resize(used);
  add_backend_counters(totals, text);
  return totals;
}

} // namespace sealexec::remote
