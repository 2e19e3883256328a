// fmtdemo: formatted output with the {fmt} library (fmt 9 on Debian 12;
// g++-12 has no std::format): alignment, precision, bases, named arguments,
// fmt::join, containers via fmt/ranges.h, a formatter for a user type, and a
// format error caught at run time.
// realworld: needs the new directive word --pkg (not in sealexec yet).
// sealexec: -std=c++17 -Wall -Wextra -Werror -pedantic
// sealexec: --pkg fmt
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <string>
#include <vector>

struct Point {
  int x, y;
};

template <>
struct fmt::formatter<Point> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <typename Context>
  auto format(const Point& p, Context& ctx) const {
    return fmt::format_to(ctx.out(), "({}, {})", p.x, p.y);
  }
};

int main() {
  fmt::print("fmt major version {}\n", FMT_VERSION / 10000);
  fmt::print("[{:<8}] [{:>8}] [{:^8}] [{:*^9}]\n", "left", "right", "mid", "star");
  fmt::print("{:.3f} {:10.2e} {:+d} {:08.3f}\n", 3.14159265, 12345.678, 42, -2.5);
  fmt::print("hex {:#x} oct {:o} bin {:08b} char {:c}\n", 255, 8, 5, 'A');
  fmt::print("{name} is {age} years old\n", fmt::arg("name", "Ada"), fmt::arg("age", 36));
  std::vector<int> v{1, 2, 3, 5, 8};
  fmt::print("joined: {}\n", fmt::join(v, " | "));
  fmt::print("vector: {}\n", v);
  std::map<std::string, int> m{{"one", 1}, {"two", 2}};
  fmt::print("map: {}\n", m);
  fmt::print("point: {} and {}\n", Point{1, 2}, Point{-3, 4});
  std::string s = fmt::format("{0}-{1}-{0}", "a", "b");
  fmt::print("positional: {}, width from argument: [{:>{}}]\n", s, "x", 4);
  try {
    std::string bad = "{:d}";
    fmt::print(fmt::runtime(bad), "not a number");
  } catch (const fmt::format_error& e) {
    fmt::print("format_error caught: {}\n", e.what());
  }
  return 0;
}
