#include "sealexec/remote/remote_stats.h"

#include "sealexec/cache/stats_file.h"
#include "sealexec/util/counter_words.h"

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

constexpr std::size_t k_max_backends_listed = 256;

cache::StatsFile remote_file(const cache::CacheDir& dir) {
  return cache::StatsFile(dir, "remote", ".remote-folding");
}

std::string format_totals(const BackendTotals& totals) {
  std::string lines;
  for (const auto& [backend, counters] : totals) {
    if (!counters.empty()) {
      lines += format_backend_counters(backend, counters);
    }
  }
  return lines;
}

} // namespace

BackendCounters& BackendCounters::operator+=(const BackendCounters& other) {
  add_counter_fields(*this, other, k_fields);
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
  for_each_counter_line(text, [&](std::string_view line) {
    const std::size_t space = line.find(' ');
    const std::string_view backend = line.substr(0, space);
    if (backend.empty() || backend.size() > 4096 || space == std::string_view::npos) {
      return;
    }
    BackendCounters counters;
    if (!parse_counter_words(line.substr(space + 1), k_fields, counters)) {
      return;
    }
    auto known = std::find_if(totals.begin(), totals.end(),
                              [&](const auto& entry) { return entry.first == backend; });
    if (known != totals.end()) {
      known->second += counters;
    } else if (totals.size() < k_max_backends_listed) {
      totals.emplace_back(std::string(backend), counters);
    }
  });
}

Expected<void> append_backend_counters(const cache::CacheDir& dir, std::string_view backend,
                                       const BackendCounters& counters) {
  return counters.empty() ? Expected<void>{}
                          : remote_file(dir).append(format_backend_counters(backend, counters));
}

Expected<BackendTotals> read_backend_counters(const cache::CacheDir& dir) {
  BackendTotals totals;
  SEALEXEC_TRY(remote_file(dir).read(
      [&](std::string_view lines) { add_backend_counters(totals, lines); }));
  return totals;
}

Expected<void> fold_backend_counters(const cache::CacheDir& dir, std::uint64_t threshold_bytes) {
  return fold_backend_counters(dir, cache::FoldOptions{.threshold_bytes = threshold_bytes});
}

Expected<void> fold_backend_counters(const cache::CacheDir& dir, const cache::FoldOptions& options) {
  BackendTotals totals;
  return remote_file(dir).fold(
      options, [&](std::string_view lines) { add_backend_counters(totals, lines); },
      [&] { return format_totals(totals); });
}

} // namespace sealexec::remote
