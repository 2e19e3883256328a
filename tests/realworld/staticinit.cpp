// staticinit: what runs before and after main. Namespace-scope objects are
// constructed in order of definition and destroyed in reverse; a function-
// local static on first use; a registry filled by static constructors (the
// "self-registering plugin" idiom); std::atexit handlers interleave with
// destructors in reverse order of registration; GNU constructor/destructor
// functions with a priority run before every constructor and after every
// destructor.
// sealexec: -std=c++17 -Wall -Wextra -Werror
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace {

struct Tracer {
  const char* name;
  explicit Tracer(const char* n) : name(n) { std::printf("construct %s\n", name); }
  ~Tracer() { std::printf("destroy %s\n", name); }
};

std::map<std::string, int (*)(int)>& registry() {
  static std::map<std::string, int (*)(int)> r;  // constructed on first use
  return r;
}

struct Register {
  Register(const char* name, int (*fn)(int)) {
    registry()[name] = fn;
    std::printf("registered %s\n", name);
  }
};

int twice(int x) { return 2 * x; }
int square(int x) { return x * x; }

Tracer first("first");
Register reg_twice("twice", twice);
Tracer second("second");
Register reg_square("square", square);
const int computed = [] {
  std::printf("dynamic initialiser runs\n");
  return 6 * 7;
}();

Tracer& lazy() {
  static Tracer t("lazy local static");
  return t;
}

void at_exit_handler() { std::printf("atexit handler\n"); }

}  // namespace

__attribute__((constructor(101))) static void early() { std::printf("constructor(101) function\n"); }
__attribute__((destructor(101))) static void late() { std::printf("destructor(101) function\n"); }

int main() {
  std::printf("main starts, computed = %d\n", computed);
  std::atexit(at_exit_handler);
  std::printf("lazy: %s\n", lazy().name);
  std::printf("lazy again: %s\n", lazy().name);
  for (const auto& [name, fn] : registry()) std::printf("%s(5) = %d\n", name.c_str(), fn(5));
  std::printf("main returns\n");
  return 0;
}
