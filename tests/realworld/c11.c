// c11: C11/C17 features a modern C script uses: _Generic, _Static_assert,
// _Alignof/_Alignas, anonymous structs and unions, designated initialisers,
// compound literals, flexible array members, <stdint.h>/<inttypes.h>,
// <stdbool.h>, <stdatomic.h> and _Noreturn.
// sealexec: -std=c17 -Wall -Wextra -Werror -pedantic
#include <inttypes.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define type_name(x) _Generic((x), \
    int: "int", long: "long", unsigned: "unsigned", double: "double", \
    float: "float", char *: "char *", const char *: "const char *", \
    bool: "bool", default: "other")

#define max(a, b) _Generic((a) + (b), double: max_d, default: max_l)((a), (b))
static double max_d(double a, double b) { return a > b ? a : b; }
static long max_l(long a, long b) { return a > b ? a : b; }

struct shape {
  enum { CIRCLE, RECT } kind;
  union {
    struct { double r; };
    struct { double w, h; };
  };
};

struct message {
  uint16_t len;
  char text[];
};

_Static_assert(sizeof(uint32_t) == 4, "uint32_t is four bytes");
_Static_assert(offsetof(struct message, text) == sizeof(uint16_t), "no padding before text");

static double area(const struct shape *s) {
  switch (s->kind) {
    case CIRCLE: return 3.0 * s->r * s->r;
    case RECT: return s->w * s->h;
  }
  return 0;
}

static _Noreturn void finish(int status) {
  fflush(stdout);
  exit(status);
}

static int sum(const int *xs, size_t n) {
  int total = 0;
  for (size_t i = 0; i < n; i++) total += xs[i];
  return total;
}

int main(void) {
  int i = 1;
  const char *s = "x";
  printf("types: %s %s %s %s %s %s\n", type_name(i), type_name(2L), type_name(3u),
         type_name(1.5), type_name(s), type_name((bool)1));
  printf("max: %ld %.2f\n", max(3L, 9L), max(2.5, 1.0));

  struct shape shapes[] = {
      {.kind = CIRCLE, .r = 2},
      {.kind = RECT, .w = 3, .h = 4.5},
  };
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
    printf("shape %zu area %.2f\n", k, area(&shapes[k]));

  int squares[10] = {[0] = 0, [3] = 9, [9] = 81};
  printf("squares: %d %d %d %d\n", squares[0], squares[3], squares[5], squares[9]);
  printf("compound literal sum: %d\n", sum((int[]){1, 2, 3, 4, 5}, 5));

  const char *text = "flexible";
  struct message *m = malloc(sizeof *m + strlen(text) + 1);
  if (!m) return 1;
  m->len = (uint16_t)strlen(text);
  memcpy(m->text, text, m->len + 1u);
  printf("message %" PRIu16 " \"%s\"\n", m->len, m->text);
  free(m);

  alignas(32) unsigned char buffer[64];
  printf("alignof(max_align_t) >= 8: %s, buffer aligned to 32: %s\n",
         alignof(max_align_t) >= 8 ? "yes" : "no",
         (uintptr_t)buffer % 32 == 0 ? "yes" : "no");

  atomic_int counter = 0;
  for (int k = 0; k < 5; k++) atomic_fetch_add(&counter, k);
  printf("atomic: %d\n", atomic_load(&counter));

  int64_t big = INT64_C(1) << 40;
  printf("int64: %" PRId64 " hex %" PRIx64 "\n", big, big);
  printf("__STDC_VERSION__ >= 201710L: %s\n", __STDC_VERSION__ >= 201710L ? "yes" : "no");
  finish(0);
}
