// exceptions: error handling with C++ exceptions, all caught: a hierarchy of
// exception classes, RAII destructors running during unwinding (their order
// is printed), rethrow, std::nested_exception, noexcept, and standard
// library exceptions (std::out_of_range from .at(), std::bad_alloc-free).
// sealexec: -std=c++17 -Wall -Wextra -Werror -pedantic
#include <exception>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct ParseError : std::runtime_error {
  int line;
  ParseError(const std::string& what, int l) : std::runtime_error(what), line(l) {}
};

struct Guard {
  std::string name;
  explicit Guard(std::string n) : name(std::move(n)) { std::cout << "  enter " << name << '\n'; }
  ~Guard() { std::cout << "  leave " << name << '\n'; }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
};

int parse_number(const std::string& s, int line) {
  Guard g("parse_number(" + s + ")");
  std::size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(s, &used);
  } catch (const std::invalid_argument&) {
    throw ParseError("not a number: '" + s + "'", line);
  }
  if (used != s.size()) throw ParseError("trailing characters in '" + s + "'", line);
  return v;
}

void load(const std::vector<std::string>& lines) {
  Guard g("load");
  try {
    for (std::size_t i = 0; i < lines.size(); ++i) parse_number(lines[i], static_cast<int>(i + 1));
  } catch (...) {
    std::throw_with_nested(std::runtime_error("load failed"));
  }
}

void print_nested(const std::exception& e, int depth = 0) {
  std::cout << std::string(static_cast<std::size_t>(depth) * 2, ' ') << "- " << e.what() << '\n';
  try {
    std::rethrow_if_nested(e);
  } catch (const std::exception& inner) {
    print_nested(inner, depth + 1);
  }
}

int safe_div(int a, int b) noexcept { return b == 0 ? 0 : a / b; }

}  // namespace

int main() {
  std::cout << "1. a parse error, caught by its own type\n";
  try {
    parse_number("12x", 7);
  } catch (const ParseError& e) {
    std::cout << "caught ParseError at line " << e.line << ": " << e.what() << '\n';
  }

  std::cout << "2. nested exceptions\n";
  try {
    load({"1", "2", "three"});
  } catch (const std::exception& e) {
    print_nested(e);
  }

  std::cout << "3. rethrow from a handler\n";
  try {
    try {
      throw std::logic_error("inner logic error");
    } catch (const std::exception& e) {
      std::cout << "first handler: " << e.what() << '\n';
      throw;
    }
  } catch (const std::logic_error& e) {
    std::cout << "second handler: " << e.what() << '\n';
  }

  std::cout << "4. library exceptions\n";
  std::map<std::string, int> m{{"a", 1}};
  try {
    std::cout << m.at("b") << '\n';
  } catch (const std::out_of_range&) {
    std::cout << "map::at threw out_of_range\n";
  }
  std::vector<int> v(3);
  try {
    v.at(5) = 1;
  } catch (const std::out_of_range&) {
    std::cout << "vector::at threw out_of_range\n";
  }

  std::cout << "5. exception_ptr across a boundary\n";
  std::exception_ptr saved;
  try {
    throw ParseError("saved for later", 42);
  } catch (...) {
    saved = std::current_exception();
  }
  try {
    std::rethrow_exception(saved);
  } catch (const ParseError& e) {
    std::cout << "rethrown: " << e.what() << " (line " << e.line << ")\n";
  }

  std::cout << "noexcept safe_div: " << safe_div(7, 2) << ' ' << safe_div(1, 0)
            << " is noexcept: " << noexcept(safe_div(1, 1)) << '\n';
  std::cout << "uncaught exceptions now: " << std::uncaught_exceptions() << '\n';
  return 0;
}
