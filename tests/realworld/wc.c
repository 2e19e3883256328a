// wc: counts lines, words and bytes on standard input, like `wc`, and the
// longest line. Strict C11 with every warning an error.
// sealexec: -std=c11 -Wall -Wextra -Werror -pedantic
#include <ctype.h>
#include <stdio.h>

int main(void) {
  long lines = 0, words = 0, bytes = 0, longest = 0, current = 0;
  int in_word = 0;
  int c;
  while ((c = getchar()) != EOF) {
    bytes++;
    if (c == '\n') {
      lines++;
      if (current > longest) longest = current;
      current = 0;
    } else {
      current++;
    }
    if (isspace((unsigned char)c)) {
      in_word = 0;
    } else if (!in_word) {
      in_word = 1;
      words++;
    }
  }
  if (current > longest) longest = current;
  printf("%7ld %7ld %7ld\n", lines, words, bytes);
  printf("longest line: %ld\n", longest);
  return 0;
}
