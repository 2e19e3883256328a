// streams: a filter that writes its result to standard output and its
// diagnostics to standard error, like any well-behaved Unix tool: it
// upper-cases its input, reports lines it rejects (ones starting with '#')
// on stderr, and ends with a summary on stderr. Status 1 when anything was
// rejected.
// sealexec: -std=c11 -Wall -Wextra -Werror -pedantic
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  char line[256];
  int lineno = 0, kept = 0, rejected = 0;
  setvbuf(stderr, NULL, _IONBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    lineno++;
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '#') {
      fprintf(stderr, "streams: line %d rejected: %s\n", lineno, line);
      rejected++;
      continue;
    }
    for (char *p = line; *p; p++) *p = (char)toupper((unsigned char)*p);
    printf("%d: %s\n", lineno, line);
    kept++;
  }
  fflush(stdout);
  fprintf(stderr, "streams: %d kept, %d rejected\n", kept, rejected);
  return rejected ? 1 : 0;
}
