#include <stdio.h>
#include <unistd.h>

const char* greeting(void);

/* greet [COMMAND [ARGS...]]: prints the greeting, then becomes COMMAND, to
   show what the programs it starts inherit from it. */
int main(int argc, char** argv) {
  puts(greeting());
  if (argc > 1) {
    fflush(stdout);
    execvp(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
  }
  return 0;
}
