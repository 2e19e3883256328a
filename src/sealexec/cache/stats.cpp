#include "sealexec/cache/stats.h"

#include "sealexec/cache/stats_file.h"
#include "sealexec/util/counter_words.h"

#include <array>
#include <string>

namespace sealexec::cache {

namespace {

using Field = CounterField<Counters>;
constexpr std::array k_fields{Field{"hits", &Counters::hits},
                              Field{"misses", &Counters::misses},
                              Field{"puts", &Counters::puts},
                              Field{"corrupt", &Counters::corrupt},
                              Field{"evicted", &Counters::evicted},
                              Field{"gc_runs", &Counters::gc_runs}};

// An older sealexec named its folds "<pid>.folding".
StatsFile counters_file(const CacheDir& dir) { return StatsFile(dir, "counters", ".folding"); }

} // namespace

Counters& Counters::operator+=(const Counters& other) {
  add_counter_fields(*this, other, k_fields);
  return *this;
}

bool Counters::empty() const { return *this == Counters{}; }

std::string format_counters(const Counters& counters) {
  return "v1" + format_counter_words(counters, k_fields) + "\n";
}

Counters parse_counters(std::string_view text) {
  Counters total;
  for_each_counter_line(text, [&](std::string_view words) {
    Counters counters;
    if (parse_counter_words(words, k_fields, counters)) {
      total += counters;
    }
  });
  return total;
}

Expected<void> append_counters(const CacheDir& dir, const Counters& counters) {
  return counters.empty() ? Expected<void>{} : counters_file(dir).append(format_counters(counters));
}

Expected<Counters> read_counters(const CacheDir& dir) {
  Counters total;
  SEALEXEC_TRY(counters_file(dir).read([&](std::string_view lines) { total += parse_counters(lines); }));
  return total;
}

Expected<void> fold_counters(const CacheDir& dir, std::uint64_t threshold_bytes) {
  return fold_counters(dir, FoldOptions{.threshold_bytes = threshold_bytes});
}

Expected<void> fold_counters(const CacheDir& dir, const FoldOptions& options) {
  Counters total;
  return counters_file(dir).fold(
      options, [&](std::string_view lines) { total += parse_counters(lines); },
      [&] { return format_counters(total); });
}

} // namespace sealexec::cache
