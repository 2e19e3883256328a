// envvars: a script configured by its environment: a greeting, a repeat
// count with a default, a colon-separated search list, and a variable that
// is set but empty. Unset variables must stay unset through sealexec.
// sealexec: -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *show(const char *name) {
  const char *v = getenv(name);
  return v ? v : "(unset)";
}

int main(void) {
  const char *greeting = getenv("RW_GREETING");
  const char *repeat = getenv("RW_REPEAT");
  int times = repeat ? atoi(repeat) : 1;
  for (int i = 0; i < times; i++) printf("%d: %s\n", i + 1, greeting ? greeting : "hello");

  const char *path = getenv("RW_PATH");
  if (path) {
    char copy[256];
    snprintf(copy, sizeof copy, "%s", path);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ":", &save); tok;
         tok = strtok_r(NULL, ":", &save))
      printf("path[%d] = %s\n", n++, tok);
  }
  printf("RW_EMPTY = [%s]\n", show("RW_EMPTY"));
  printf("RW_UNSET = [%s]\n", show("RW_UNSET"));
  printf("RW_SPACES = [%s]\n", show("RW_SPACES"));
  setenv("RW_CHILD", "set by the program", 1);
  printf("RW_CHILD = [%s]\n", show("RW_CHILD"));
  return 0;
}
