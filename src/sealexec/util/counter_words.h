// Counters as "name=value" words ("hits=3 misses=1"), the text form of the
// statistics files: written with one append each, summed by readers, and
// parsed as the hostile input any file is.
#pragma once

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sealexec {

template <typename Counters>
struct CounterField {
  std::string_view name;
  std::uint64_t Counters::*member;
};

// " name=value" for every field, in order.
template <typename Counters, std::size_t N>
[[nodiscard]] std::string format_counter_words(const Counters& counters,
                                               const std::array<CounterField<Counters>, N>& fields) {
  std::string words;
  for (const auto& field : fields) {
    words += fmt::format(" {}={}", field.name, counters.*field.member);
  }
  return words;
}

// Reads blank-separated words into `counters`. Unknown names are skipped
// (a newer writer's); false for a word without '=' or a value that is not a
// number in range, and then the whole line should be ignored.
template <typename Counters, std::size_t N>
[[nodiscard]] bool parse_counter_words(std::string_view words,
                                       const std::array<CounterField<Counters>, N>& fields,
                                       Counters& counters) {
  while (!words.empty()) {
    const std::size_t space = words.find(' ');
    const std::string_view word = words.substr(0, space);
    words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
    const std::size_t equals = word.find('=');
    if (equals == std::string_view::npos) {
      return false;
    }
    for (const auto& field : fields) {
      if (word.substr(0, equals) == field.name) {
        const std::string_view digits = word.substr(equals + 1);
        const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(),
                                                  counters.*field.member);
        if (error != std::errc{} || end != digits.data() + digits.size()) {
          return false;
        }
      }
    }
  }
  return true;
}

// Adds every field of `from` to `into`.
template <typename Counters, std::size_t N>
void add_counter_fields(Counters& into, const Counters& from,
                        const std::array<CounterField<Counters>, N>& fields) {
  for (const auto& field : fields) {
    into.*field.member += from.*field.member;
  }
}

// Calls `take` with each line of `text` that starts with "v1 " (the files'
// format version), without that prefix; other lines are skipped.
template <typename Take>
void for_each_counter_line(std::string_view text, Take take) {
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (line.starts_with("v1 ")) {
      take(line.substr(3));
    }
  }
}

} // namespace sealexec
