// uncaught: an exception nobody catches. std::terminate runs, which aborts:
// the process dies of SIGABRT after libstdc++'s "terminate called after
// throwing ..." message on standard error. Output flushed before the throw
// must still appear; destructors of locals are not required to run (and with
// no handler at all, libstdc++ does not unwind), so "cleanup" never prints.
// sealexec: -std=c++17 -Wall -Wextra
#include <iostream>
#include <stdexcept>
#include <string>

struct Cleanup {
  ~Cleanup() { std::cout << "cleanup (should not print)" << std::endl; }
};

static void validate(int value) {
  if (value > 10) throw std::out_of_range("value " + std::to_string(value) + " is above 10");
  std::cout << "value " << value << " ok" << std::endl;
}

int main() {
  Cleanup c;
  for (int v : {3, 10, 11, 4}) validate(v);
  std::cout << "not reached" << std::endl;
  return 0;
}
