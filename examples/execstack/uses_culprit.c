/* A program whose one library (libculprit.so, next to it through RUNPATH
 * $ORIGIN) requires an executable stack. It runs on a plain glibc <= 2.40,
 * and fails at start-up under SELinux's execstack denial or on Nanos. It
 * prints whether its stack is executable, as the kernel maps it. */
#include <stdio.h>
#include <string.h>

int culprit_answer(void);

int main(void) {
  char line[512];
  const char* stack = "unknown";
  FILE* maps = fopen("/proc/self/maps", "r");
  while (maps && fgets(line, sizeof line, maps)) {
    if (strstr(line, "[stack]")) {
      stack = strstr(line, " rwx") ? "executable" : "not executable";
    }
  }
  if (maps) {
    fclose(maps);
  }
  printf("culprit_answer() = %d, stack %s\n", culprit_answer(), stack);
  return 0;
}
