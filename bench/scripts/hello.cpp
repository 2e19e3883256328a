// The script of the warm and cold script benchmarks: a C++ hello-world
// using <iostream> (183 headers with g++ 12).
#include <iostream>

int main() {
  std::cout << "hello from a C++ script\n";
  return 0;
}
