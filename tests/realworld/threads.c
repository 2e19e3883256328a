// threads: counts primes below a limit with worker threads (each its own
// slice), then runs a producer/consumer pair over a bounded queue guarded by
// a mutex and condition variables. Output is printed only after the joins,
// in a fixed order, so it does not depend on scheduling.
// sealexec: -std=c11 -Wall -Wextra -Werror -pthread -D_POSIX_C_SOURCE=200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define WORKERS 4
#define LIMIT 200000

struct slice {
  long from, to;
  long primes;
};

static long shared_total;
static pthread_mutex_t total_lock = PTHREAD_MUTEX_INITIALIZER;

static int is_prime(long n) {
  if (n < 2) return 0;
  for (long d = 2; d * d <= n; d++)
    if (n % d == 0) return 0;
  return 1;
}

static void *count_primes(void *arg) {
  struct slice *s = arg;
  for (long n = s->from; n < s->to; n++) s->primes += is_prime(n);
  pthread_mutex_lock(&total_lock);
  shared_total += s->primes;
  pthread_mutex_unlock(&total_lock);
  return NULL;
}

#define QUEUE 8
static struct {
  int items[QUEUE];
  int head, count, done;
  pthread_mutex_t lock;
  pthread_cond_t not_empty, not_full;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .not_empty = PTHREAD_COND_INITIALIZER,
       .not_full = PTHREAD_COND_INITIALIZER};

static void *producer(void *arg) {
  int n = *(int *)arg;
  for (int i = 1; i <= n; i++) {
    pthread_mutex_lock(&q.lock);
    while (q.count == QUEUE) pthread_cond_wait(&q.not_full, &q.lock);
    q.items[(q.head + q.count) % QUEUE] = i;
    q.count++;
    pthread_cond_signal(&q.not_empty);
    pthread_mutex_unlock(&q.lock);
  }
  pthread_mutex_lock(&q.lock);
  q.done = 1;
  pthread_cond_broadcast(&q.not_empty);
  pthread_mutex_unlock(&q.lock);
  return NULL;
}

static void *consumer(void *arg) {
  long long *result = arg;
  for (;;) {
    pthread_mutex_lock(&q.lock);
    while (q.count == 0 && !q.done) pthread_cond_wait(&q.not_empty, &q.lock);
    if (q.count == 0 && q.done) {
      pthread_mutex_unlock(&q.lock);
      return NULL;
    }
    int item = q.items[q.head];
    q.head = (q.head + 1) % QUEUE;
    q.count--;
    pthread_cond_signal(&q.not_full);
    pthread_mutex_unlock(&q.lock);
    result[0] += item;
    result[1] += (long long)item * item;
    result[2]++;
  }
}

int main(void) {
  pthread_t tids[WORKERS];
  struct slice slices[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    slices[i].from = (long)LIMIT * i / WORKERS;
    slices[i].to = (long)LIMIT * (i + 1) / WORKERS;
    slices[i].primes = 0;
    if (pthread_create(&tids[i], NULL, count_primes, &slices[i]) != 0) {
      fputs("threads: pthread_create failed\n", stderr);
      return 1;
    }
  }
  long sum = 0;
  for (int i = 0; i < WORKERS; i++) {
    pthread_join(tids[i], NULL);
    sum += slices[i].primes;
  }
  for (int i = 0; i < WORKERS; i++)
    printf("slice %d [%6ld, %6ld): %5ld primes\n", i, slices[i].from, slices[i].to,
           slices[i].primes);
  printf("total %ld (shared counter %ld)\n", sum, shared_total);

  int n = 1000;
  long long result[3] = {0, 0, 0};
  pthread_t prod, cons;
  pthread_create(&cons, NULL, consumer, result);
  pthread_create(&prod, NULL, producer, &n);
  pthread_join(prod, NULL);
  pthread_join(cons, NULL);
  printf("queue: %lld items, sum %lld, sum of squares %lld\n", result[2], result[0], result[1]);
  return 0;
}
