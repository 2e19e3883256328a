/* The floor for any runner that execs twice: copy argv[1] into a memfd and
 * exec it from there. No sealing, no hashing, no checks beyond what is needed
 * to report a failure. sealexec run is compared against this. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
    return 125;
  }
  const int source = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (source < 0) {
    perror("open");
    return 127;
  }
  const int memfd = memfd_create("minimal-runner", MFD_CLOEXEC);
  if (memfd < 0) {
    perror("memfd_create");
    return 125;
  }
  for (;;) {
    const ssize_t sent = sendfile(memfd, source, NULL, 1 << 30);
    if (sent == 0) {
      break;
    }
    if (sent < 0) {
      if (errno == EINTR) {
        continue;
      }
      perror("sendfile");
      return 125;
    }
  }
  syscall(SYS_execveat, memfd, "", argv + 1, environ, AT_EMPTY_PATH);
  perror("execveat");
  return 126;
}
