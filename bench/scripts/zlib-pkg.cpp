// sealexec: --pkg zlib
// The --pkg script of the warm benchmark: zlib's flags from pkg-config,
// whose answer a warm run must take from the cache, not from pkg-config.
// zlib-flags.cpp is the same program with the flags written out.
#include <cstdio>
#include <zlib.h>

int main() {
  std::printf("zlib %s\n", zlibVersion());
  return 0;
}
