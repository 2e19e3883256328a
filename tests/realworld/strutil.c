/* strutil.c: helper translation unit for slugify.c (not a program itself). */
#include "strutil.h"

#include <ctype.h>
#include <string.h>

int strutil_calls;

size_t slugify(const char *in, char *out, size_t size) {
  size_t n = 0;
  int dash = 0;
  strutil_calls++;
  if (size == 0) return 0;
  for (; *in && n + 1 < size; in++) {
    unsigned char c = (unsigned char)*in;
    if (isalnum(c)) {
      if (dash && n > 0 && n + 2 < size) out[n++] = '-';
      dash = 0;
      out[n++] = (char)tolower(c);
    } else {
      dash = 1;
    }
  }
  out[n] = '\0';
  return n;
}

char *reverse(char *s) {
  size_t len = strlen(s);
  strutil_calls++;
  for (size_t i = 0; i < len / 2; i++) {
    char t = s[i];
    s[i] = s[len - 1 - i];
    s[len - 1 - i] = t;
  }
  return s;
}
