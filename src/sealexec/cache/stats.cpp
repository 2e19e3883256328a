#include "sealexec/cache/stats.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cerrno>
#include <vector>

namespace sealexec::cache {

namespace {

struct Field {
  std::string_view name;
  std::uint64_t Counters::*member;
};
constexpr std::array k_fields{Field{"hits", &Counters::hits},
                              Field{"misses", &Counters::misses},
                              Field{"puts", &Counters::puts},
                              Field{"corrupt", &Counters::corrupt},
                              Field{"evicted", &Counters::evicted},
                              Field{"gc_runs", &Counters::gc_runs}};

constexpr std::size_t k_max_counters_file = 16 << 20;

} // namespace

Counters& Counters::operator+=(const Counters& other) {
  for (const Field& field : k_fields) {
    this->*field.member += other.*field.member;
  }
  return *this;
}

bool Counters::empty() const { return *this == Counters{}; }

std::string format_counters(const Counters& counters) {
  std::string line = "v1";
  for (const Field& field : k_fields) {
    line += fmt::format(" {}={}", field.name, counters.*field.member);
  }
  return line + "\n";
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
    bool ok = true;
    line.remove_prefix(3);
    while (ok && !line.empty()) {
      const std::size_t space = line.find(' ');
      const std::string_view word = line.substr(0, space);
      line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
      const std::size_t equals = word.find('=');
      ok = equals != std::string_view::npos;
      for (const Field& field : k_fields) {
        if (ok && word.substr(0, equals) == field.name) {
          const std::string_view digits = word.substr(equals + 1);
          const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(),
                                                    counters.*field.member);
          ok = error == std::errc{} && end == digits.data() + digits.size();
        }
      }
    }
    if (ok) {
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
  auto file = dir.open_beneath("stats/counters", O_RDONLY);
  if (!file) {
    if (file.error().sys_errno == ENOENT) {
      return Counters{};
    }
    return fail(std::move(file).error());
  }
  std::vector<char> text(k_max_counters_file);
  std::size_t used = 0;
  for (ssize_t got; used < text.size() &&
                    (got = ::read(file->get(), text.data() + used, text.size() - used)) > 0;) {
    used += static_cast<std::size_t>(got);
  }
  return parse_counters(std::string_view(text.data(), used));
}

} // namespace sealexec::cache
