// slugify: turns each argument into a URL slug and its reverse, with the
// string functions in a second source file next to it.
// realworld: needs the new directive word --source (not in sealexec yet).
// sealexec: -std=c11 -Wall -Wextra -Werror -pedantic
// sealexec: --source strutil.c
#include <stdio.h>

#include "strutil.h"

int main(int argc, char **argv) {
  char slug[128];
  for (int i = 1; i < argc; i++) {
    size_t n = slugify(argv[i], slug, sizeof slug);
    printf("%-28s -> %s (%zu)\n", argv[i], slug, n);
    printf("%-28s    %s\n", "", reverse(slug));
  }
  printf("%d helper calls\n", strutil_calls);
  return argc > 1 ? 0 : 2;
}
