// sealexec: -lz
// The warm benchmark's baseline for zlib-pkg.cpp: the same program with
// zlib's flags written out instead of asked of pkg-config.
#include <cstdio>
#include <zlib.h>

int main() {
  std::printf("zlib %s\n", zlibVersion());
  return 0;
}
