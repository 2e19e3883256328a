// templates: generic code a C++ script leans on: variadic templates and fold
// expressions, if constexpr, CRTP, a class template with a specialisation,
// constexpr evaluation checked by static_assert, type traits, and C++20
// concepts with abbreviated function templates.
// sealexec: -std=c++20 -Wall -Wextra -Werror -pedantic
#include <array>
#include <cstddef>
#include <iostream>
#include <string>
#include <type_traits>
#include <vector>

template <typename... Ts>
auto sum(Ts... xs) {
  return (xs + ... + 0);
}

template <typename... Ts>
void print_all(const Ts&... xs) {
  std::size_t i = 0;
  ((std::cout << (i++ ? ", " : "") << xs), ...);
  std::cout << " (" << sizeof...(Ts) << " values)\n";
}

template <typename T>
std::string describe(const T& v) {
  if constexpr (std::is_integral_v<T>) {
    return "integral " + std::to_string(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    return "floating " + std::to_string(v);
  } else {
    return "other of size " + std::to_string(sizeof(T));
  }
}

template <typename Derived>
struct Shape {
  double area() const { return static_cast<const Derived&>(*this).area_impl(); }
  std::string name() const { return Derived::kName; }
};
struct Square : Shape<Square> {
  static constexpr const char* kName = "square";
  double side;
  explicit Square(double s) : side(s) {}
  double area_impl() const { return side * side; }
};
struct Tri : Shape<Tri> {
  static constexpr const char* kName = "triangle";
  double b, h;
  Tri(double b_, double h_) : b(b_), h(h_) {}
  double area_impl() const { return b * h / 2; }
};

template <typename S>
void report(const Shape<S>& s) {
  std::cout << s.name() << " area " << s.area() << '\n';
}

template <typename T>
struct Stack {
  std::vector<T> items;
  void push(T v) { items.push_back(std::move(v)); }
  std::string kind() const { return "generic stack of " + std::to_string(items.size()); }
};
template <>
struct Stack<bool> {
  unsigned bits = 0, size = 0;
  void push(bool v) { bits |= static_cast<unsigned>(v) << size++; }
  std::string kind() const { return "bit stack, bits " + std::to_string(bits); }
};

constexpr unsigned long long fib(unsigned n) {
  unsigned long long a = 0, b = 1;
  for (unsigned i = 0; i < n; ++i) {
    auto t = a + b;
    a = b;
    b = t;
  }
  return a;
}
static_assert(fib(10) == 55);

template <std::size_t N>
constexpr std::array<unsigned long long, N> fib_table() {
  std::array<unsigned long long, N> t{};
  for (std::size_t i = 0; i < N; ++i) t[i] = fib(static_cast<unsigned>(i));
  return t;
}
constexpr auto kFibs = fib_table<15>();

template <typename T>
concept Numeric = std::is_arithmetic_v<T>;

auto scaled(Numeric auto x, Numeric auto factor) { return x * factor; }

template <typename C>
  requires requires(C c) { c.begin(); c.end(); c.size(); }
auto average(const C& c) {
  double total = 0;
  for (const auto& v : c) total += v;
  return c.size() ? total / static_cast<double>(c.size()) : 0.0;
}

int main() {
  std::cout << "sum: " << sum(1, 2, 3, 4) << ' ' << sum(1.5, 2.25) << ' ' << sum() << '\n';
  print_all(1, "two", 3.5, 'c', std::string("five"));
  std::cout << describe(42) << " | " << describe(2.5) << " | " << describe(std::array<char, 3>{})
            << '\n';
  report(Square(3));
  report(Tri(4, 5));
  Stack<int> si;
  si.push(1);
  si.push(2);
  Stack<bool> sb;
  sb.push(true);
  sb.push(false);
  sb.push(true);
  std::cout << si.kind() << " / " << sb.kind() << '\n';
  std::cout << "fib:";
  for (auto f : kFibs) std::cout << ' ' << f;
  std::cout << "\nfib(90) = " << fib(90) << '\n';
  std::cout << "scaled: " << scaled(3, 4) << ' ' << scaled(2.5, 2) << '\n';
  std::cout << "average: " << average(std::vector<int>{1, 2, 3, 4}) << ' '
            << average(std::array<double, 3>{0.5, 1.5, 4.0}) << '\n';
  return 0;
}
