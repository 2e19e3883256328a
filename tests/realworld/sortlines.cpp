// sortlines: `sort | uniq -c | sort -k1,1nr -k2` in C++17: reads lines from
// standard input, ignores blank ones, trims them, counts duplicates case-
// insensitively, and prints them by count (highest first), then by text.
// sealexec: -std=c++17 -Wall -Wextra -Werror -pedantic
#include <algorithm>
#include <cctype>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

std::string_view trim(std::string_view s) {
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

int main() {
  std::map<std::string, std::pair<int, std::string>> seen;  // key -> (count, first spelling)
  std::string line;
  std::size_t total = 0;
  while (std::getline(std::cin, line)) {
    auto t = trim(line);
    if (t.empty()) continue;
    ++total;
    auto [it, inserted] = seen.try_emplace(lower(t), 0, std::string(t));
    ++it->second.first;
  }
  std::vector<std::pair<int, std::string>> rows;
  rows.reserve(seen.size());
  for (const auto& [key, value] : seen) rows.emplace_back(value.first, value.second);
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return lower(a.second) < lower(b.second);
  });
  for (const auto& [count, text] : rows) std::cout << std::setw(4) << count << ' ' << text << '\n';
  std::cout << total << " lines, " << rows.size() << " distinct\n";
  return 0;
}
