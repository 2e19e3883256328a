// mathstats: statistics of the numbers on standard input (one or more per
// line): mean, standard deviation, geometric mean, root mean square, and a
// few libm functions of the mean. Needs the math library, -lm.
// sealexec: -std=c11 -Wall -Wextra -O2
// sealexec: -lm
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  double values[1000];
  int n = 0;
  while (n < 1000 && scanf("%lf", &values[n]) == 1) n++;
  if (n == 0) {
    fputs("mathstats: no numbers\n", stderr);
    return 1;
  }
  double sum = 0, logsum = 0, sq = 0, lo = values[0], hi = values[0];
  for (int i = 0; i < n; i++) {
    sum += values[i];
    logsum += log(values[i]);
    sq += values[i] * values[i];
    lo = fmin(lo, values[i]);
    hi = fmax(hi, values[i]);
  }
  double mean = sum / n;
  double var = 0;
  for (int i = 0; i < n; i++) var += pow(values[i] - mean, 2);
  var /= n - 1;
  printf("n        %d\n", n);
  printf("min/max  %.4f %.4f\n", lo, hi);
  printf("mean     %.6f\n", mean);
  printf("stddev   %.6f\n", sqrt(var));
  printf("geomean  %.6f\n", exp(logsum / n));
  printf("rms      %.6f\n", sqrt(sq / n));
  printf("hypot    %.6f\n", hypot(lo, hi));
  printf("sin/cos  %.6f %.6f\n", sin(mean), cos(mean));
  printf("atan2    %.6f\n", atan2(hi, lo));
  printf("cbrt     %.6f\n", cbrt(sum));
  printf("floor/ceil/round %.1f %.1f %.1f\n", floor(mean), ceil(mean), round(mean));
  return 0;
}
