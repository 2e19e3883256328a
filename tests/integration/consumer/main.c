/* A C program outside the project that uses libsealexec through its C API:
 * it runs the program named by argv[1] from sealed memory, with the
 * arguments that follow (default: "from-consumer"), and exits with its
 * status. */
#include <sealexec.h>

#include <stdio.h>
#include <sys/wait.h>

#if SEALEXEC_API_VERSION_MAJOR != 1
#error "built for the C API 1.x"
#endif

int main(int argc, char **argv) {
  sealexec_image *image = NULL;
  sealexec_command *command = NULL;
  sealexec_child *child = NULL;
  sealexec_error *error = NULL;
  const char *default_argv[] = {"embedded", "from-consumer", NULL};
  const char **child_argv = default_argv;
  const char *program = NULL;
  int status = 0;
  if (argc < 2) {
    return 2;
  }
  program = argv[1];
  if (argc > 2) {
    argv[1] = "embedded"; /* argv[1..] ends with argv[argc] == NULL */
    child_argv = (const char **)(argv + 1);
  }
  if (sealexec_api_version() / 10000 != SEALEXEC_API_VERSION_MAJOR) {
    fprintf(stderr, "libsealexec has C API %d\n", sealexec_api_version());
    return 125;
  }
  command = sealexec_command_new();
  if (command == NULL ||
      sealexec_image_from_path(program, NULL, NULL, 0, &image, &error) != SEALEXEC_OK ||
      sealexec_command_set_argv(command, child_argv, &error) != SEALEXEC_OK ||
      sealexec_spawn(image, command, &child, &error) != SEALEXEC_OK ||
      sealexec_child_wait(child, &status, &error) != SEALEXEC_OK) {
    fprintf(stderr, "%s: %s\n", sealexec_status_name(sealexec_error_code(error)),
            sealexec_error_message(error));
    sealexec_error_free(error);
    return 125;
  }
  sealexec_child_free(child);
  sealexec_command_free(command);
  sealexec_image_free(image);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
