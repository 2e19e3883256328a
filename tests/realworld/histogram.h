/* histogram.h: a fixed-bucket histogram, header-only, used by histogram.c. */
#ifndef HISTOGRAM_H
#define HISTOGRAM_H

#include <stdio.h>

#define HISTOGRAM_BUCKETS 10
#define HISTOGRAM_BAR '#'

struct histogram {
  long counts[HISTOGRAM_BUCKETS + 1]; /* the last bucket: HISTOGRAM_BUCKETS or more */
  long total;
};

static inline void histogram_add(struct histogram *h, long value) {
  if (value < 0) return;
  h->counts[value >= HISTOGRAM_BUCKETS ? HISTOGRAM_BUCKETS : value]++;
  h->total++;
}

static inline void histogram_print(const struct histogram *h, FILE *out) {
  for (int i = 1; i <= HISTOGRAM_BUCKETS; i++) {
    if (!h->counts[i]) continue;
    fprintf(out, "%2d%s %3ld ", i, i == HISTOGRAM_BUCKETS ? "+" : " ", h->counts[i]);
    for (long k = 0; k < h->counts[i]; k++) fputc(HISTOGRAM_BAR, out);
    fputc('\n', out);
  }
  fprintf(out, "%ld words\n", h->total);
}

#endif
