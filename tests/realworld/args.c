// args: a command-line tool with getopt options and positional arguments. It
// prints what it understood and exits with the status given by -x, here 3:
// a script's exit status must reach its caller unchanged.
// sealexec: -Wall -Wextra -D_POSIX_C_SOURCE=200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void) {
  fputs("usage: args [-v] [-n COUNT] [-x STATUS] [--] WORD...\n", stderr);
}

int main(int argc, char **argv) {
  int verbose = 0;
  long count = 1;
  int status = 0;
  int opt;
  while ((opt = getopt(argc, argv, "vn:x:")) != -1) {
    switch (opt) {
      case 'v':
        verbose++;
        break;
      case 'n': {
        char *end;
        count = strtol(optarg, &end, 10);
        if (*end != '\0' || count < 0) {
          usage();
          return 2;
        }
        break;
      }
      case 'x':
        status = atoi(optarg);
        break;
      default:
        usage();
        return 2;
    }
  }
  printf("verbose=%d count=%ld status=%d\n", verbose, count, status);
  printf("%d positional argument%s\n", argc - optind, argc - optind == 1 ? "" : "s");
  for (int i = optind; i < argc; i++) {
    size_t len = strlen(argv[i]);
    printf("  [%s] length %zu", argv[i], len);
    for (long k = 1; k < count; k++) printf(" [%s]", argv[i]);
    putchar('\n');
  }
  if (verbose) printf("exiting with %d\n", status);
  return status;
}
