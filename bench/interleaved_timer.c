/* Times whole-process runs of several commands, interleaved: run 1 of every
 * command, then run 2 of every command, and so on. On a shared or virtual
 * machine the speed drifts over seconds; hyperfine times one command after
 * the other, so drift shows up as a difference between commands. Interleaving
 * puts every command under the same conditions, which is what a ratio needs.
 *
 *   interleaved-timer RUNS OUT.json NAME COMMAND [NAME COMMAND ...]
 *
 * COMMAND is split on spaces (like hyperfine -N). Output goes to /dev/null;
 * a command that exits non-zero stops the run. Writes per-run wall times in
 * seconds as {"results": [{"name": ..., "command": ..., "times": [...]}]}. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char** environ;

enum { k_max_commands = 16, k_max_words = 64, k_warmup_rounds = 50 };

struct command {
  const char* name;
  const char* text;
  char* words[k_max_words + 1];
  double* times;
};

static void split(struct command* c) {
  char* copy = strdup(c->text);
  int n = 0;
  for (char* word = strtok(copy, " "); word != NULL && n < k_max_words; word = strtok(NULL, " ")) {
    c->words[n++] = word;
  }
  c->words[n] = NULL;
}

static double run_once(const struct command* c, const posix_spawn_file_actions_t* actions) {
  struct timespec start, end;
  pid_t pid;
  int status;
  clock_gettime(CLOCK_MONOTONIC, &start);
  if (posix_spawn(&pid, c->words[0], actions, NULL, c->words, environ) != 0 ||
      waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "interleaved-timer: '%s' failed\n", c->text);
    exit(1);
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  return (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) * 1e-9;
}

int main(int argc, char** argv) {
  if (argc < 5 || (argc - 3) % 2 != 0 || (argc - 3) / 2 > k_max_commands) {
    fprintf(stderr, "usage: interleaved-timer RUNS OUT.json NAME COMMAND [NAME COMMAND ...]\n");
    return 2;
  }
  const int runs = atoi(argv[1]);
  const int count = (argc - 3) / 2;
  struct command commands[k_max_commands];
  for (int i = 0; i < count; ++i) {
    commands[i].name = argv[3 + 2 * i];
    commands[i].text = argv[4 + 2 * i];
    split(&commands[i]);
    commands[i].times = calloc((size_t)runs, sizeof(double));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  for (int round = 0; round < k_warmup_rounds; ++round) {
    for (int i = 0; i < count; ++i) {
      run_once(&commands[i], &actions);
    }
  }
  for (int round = 0; round < runs; ++round) {
    for (int i = 0; i < count; ++i) {
      commands[i].times[round] = run_once(&commands[i], &actions);
    }
  }
  FILE* out = fopen(argv[2], "w");
  if (out == NULL) {
    perror(argv[2]);
    return 1;
  }
  fprintf(out, "{\"results\": [");
  for (int i = 0; i < count; ++i) {
    fprintf(out, "%s\n {\"name\": \"%s\", \"command\": \"%s\", \"times\": [", i ? "," : "",
            commands[i].name, commands[i].text);
    for (int r = 0; r < runs; ++r) {
      fprintf(out, "%s%.9f", r ? ", " : "", commands[i].times[r]);
    }
    fprintf(out, "]}");
  }
  fprintf(out, "\n]}\n");
  return fclose(out) == 0 ? 0 : 1;
}
