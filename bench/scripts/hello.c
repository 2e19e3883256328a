/* The C version, for tcc -run. */
#include <stdio.h>

int main(void) {
  puts("hello from a C script");
  return 0;
}
