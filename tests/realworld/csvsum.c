// csvsum: reads a CSV file with a header line on standard input and prints,
// per column, the sum and mean of the numeric fields; fields that are not
// numbers are counted and skipped. Quoted fields may hold commas.
// sealexec: -std=c17 -Wall -Wextra -Werror -pedantic -O2
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 16
#define MAX_LINE 1024

struct column {
  char name[64];
  double sum;
  long count;
  long skipped;
};

/* Splits LINE in place into at most MAX_COLS fields; returns how many. */
static int split(char *line, char *fields[MAX_COLS]) {
  int n = 0;
  char *p = line;
  while (n < MAX_COLS) {
    char *out = p;
    fields[n++] = p;
    if (*p == '"') {
      char *in = p + 1;
      for (;;) {
        if (*in == '\0') break;
        if (*in == '"' && in[1] == '"') {
          *out++ = '"';
          in += 2;
        } else if (*in == '"') {
          in++;
          break;
        } else {
          *out++ = *in++;
        }
      }
      p = in;
    } else {
      while (*p && *p != ',') *out++ = *p++;
    }
    int more = *p == ',';
    p += more;
    *out = '\0';
    if (!more) break;
  }
  return n;
}

int main(void) {
  char line[MAX_LINE];
  char *fields[MAX_COLS];
  struct column cols[MAX_COLS];
  int ncols;
  long rows = 0;

  if (!fgets(line, sizeof line, stdin)) {
    fputs("csvsum: empty input\n", stderr);
    return 1;
  }
  line[strcspn(line, "\r\n")] = '\0';
  ncols = split(line, fields);
  for (int i = 0; i < ncols; i++) {
    snprintf(cols[i].name, sizeof cols[i].name, "%s", fields[i]);
    cols[i].sum = 0;
    cols[i].count = 0;
    cols[i].skipped = 0;
  }
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '\0') continue;
    rows++;
    int n = split(line, fields);
    for (int i = 0; i < n && i < ncols; i++) {
      char *end;
      double v = strtod(fields[i], &end);
      if (end != fields[i] && *end == '\0') {
        cols[i].sum += v;
        cols[i].count++;
      } else {
        cols[i].skipped++;
      }
    }
  }
  printf("%ld rows\n", rows);
  for (int i = 0; i < ncols; i++) {
    if (cols[i].count == 0) {
      printf("%-10s not numeric (%ld fields)\n", cols[i].name, cols[i].skipped);
      continue;
    }
    printf("%-10s sum %10.2f  mean %8.3f  skipped %ld\n", cols[i].name, cols[i].sum,
           cols[i].sum / (double)cols[i].count, cols[i].skipped);
  }
  return 0;
}
