// histogram: a bar chart of the word lengths on standard input, built with
// a local header found next to the script (#include "histogram.h").
// sealexec: -std=c11 -Wall -Wextra -Werror -pedantic
#include <ctype.h>
#include <stdio.h>

#include "histogram.h"

int main(void) {
  struct histogram h = {{0}, 0};
  long len = 0;
  int c;
  while ((c = getchar()) != EOF) {
    if (isalpha((unsigned char)c)) {
      len++;
    } else if (len) {
      histogram_add(&h, len);
      len = 0;
    }
  }
  if (len) histogram_add(&h, len);
  histogram_print(&h, stdout);
  return 0;
}
