// wordfreq: the ten most frequent words of standard input, with C++20
// ranges and views, std::map, std::span and concepts. Words are lower-cased
// runs of letters and apostrophes; ties are broken alphabetically.
// sealexec: -std=c++20 -Wall -Wextra -Werror -pedantic -O1
#include <algorithm>
#include <cctype>
#include <concepts>
#include <iostream>
#include <iterator>
#include <map>
#include <numeric>
#include <ranges>
#include <span>
#include <string>
#include <vector>

namespace rv = std::views;

template <typename T>
concept Counted = requires(T t) {
  { t.second } -> std::convertible_to<long>;
};

template <Counted Entry>
long total(std::span<const Entry> entries) {
  return std::accumulate(entries.begin(), entries.end(), 0L,
                         [](long sum, const Entry& e) { return sum + e.second; });
}

int main() {
  std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  const auto is_word_char = [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '\'';
  };

  std::map<std::string, long> counts;
  std::string word;
  for (char c : text) {
    if (is_word_char(c)) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      ++counts[word];
      word.clear();
    }
  }
  if (!word.empty()) ++counts[word];

  std::vector<std::pair<std::string, long>> entries(counts.begin(), counts.end());
  std::ranges::sort(entries, [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });

  for (const auto& [w, n] : entries | rv::take(10)) std::cout << n << '\t' << w << '\n';

  auto long_words = entries | rv::filter([](const auto& e) { return e.first.size() >= 9; }) |
                    rv::transform([](const auto& e) { return e.first; });
  std::vector<std::string> longs(long_words.begin(), long_words.end());
  std::ranges::sort(longs);
  std::cout << "long words:";
  for (const auto& w : longs) std::cout << ' ' << w;
  std::cout << '\n';

  std::cout << "distinct " << entries.size() << ", total "
            << total(std::span<const std::pair<std::string, long>>(entries)) << '\n';
  auto evens = rv::iota(1, 20) | rv::filter([](int i) { return i % 2 == 0; }) |
               rv::transform([](int i) { return i * i; });
  std::cout << "squares of evens below 20:";
  for (int v : evens) std::cout << ' ' << v;
  std::cout << '\n';
  return 0;
}
