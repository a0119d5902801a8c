/*===- thread_pool.c - The kernel context and attnc_parallel_for ----------===*
 *
 * Each run owns one context and therefore one pool; nothing is shared
 * between runs, so concurrent runs never contend. Workers are started only
 * when a parallel_for first needs them, so a kernel that never parallelises
 * never starts a thread, and all of them are joined before the run returns.
 *
 * A parallel_for splits [0, n) into chunks that threads claim with an atomic
 * counter. Workers join a job by taking a "ticket"; the caller hands out as
 * many tickets as there are helpers, runs chunks itself, withdraws the
 * tickets nobody took once no chunk is left, and waits until every ticket
 * taken has finished, so no worker can still be looking at a job once it
 * has returned.
 *
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

/* Chunks per thread. Over-decomposition evens out chunks whose cost differs
 * (causal masks make later query blocks dearer), and since threads claim
 * chunks in order, it keeps them on neighbouring tasks: the query blocks of
 * one attention head, which then share its keys and values in the last-level
 * cache instead of each thread streaming a head of its own (3-5 % faster
 * than 4 chunks per thread at S = 4096, D = 128 with 2 threads, by
 * `attnc bench`). A claim is one atomic increment. */
#define CHUNKS_PER_THREAD 64

/* The worker running on this thread, if any: its ctx and index (from 1). A
 * worker serves one ctx for its whole life; other threads have none. */
static _Thread_local const attnc_kernel_ctx *worker_ctx;
static _Thread_local int32_t worker_index;

int32_t attnc_online_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1)
    return 1;
  return n > INT32_MAX ? INT32_MAX : (int32_t)n;
}

attnc_status attnc_ctx_init(attnc_kernel_ctx *ctx, int32_t num_threads) {
  ctx->num_threads = num_threads < 1 ? 1 : num_threads;
  ctx->workers = NULL;
  ctx->n_workers = 0;
  atomic_init(&ctx->next_index, 1);
  ctx->shutting_down = 0;
  ctx->busy = 0;
  ctx->fn = NULL;
  ctx->data = NULL;
  ctx->n = ctx->n_chunks = 0;
  atomic_init(&ctx->next_chunk, 0);
  ctx->tickets = ctx->pending = 0;
  atomic_init(&ctx->jobs, 0);
  ctx->buffers = NULL;
  ctx->n_buffers = 0;
  ctx->workspace = NULL;
  ctx->workspace_bytes = 0;
  ctx->plan_only = 0;
  ctx->planned_bytes = 0;
  ctx->failure = ATTNC_OK;
  ctx->sig = NULL;
  ctx->dims = NULL;

  if (pthread_mutex_init(&ctx->mutex, NULL) != 0)
    return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "cannot create the thread pool's mutex");
  if (pthread_cond_init(&ctx->work_ready, NULL) != 0) {
    pthread_mutex_destroy(&ctx->mutex);
    return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "cannot create the thread pool's condition");
  }
  if (pthread_cond_init(&ctx->work_done, NULL) != 0) {
    pthread_cond_destroy(&ctx->work_ready);
    pthread_mutex_destroy(&ctx->mutex);
    return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "cannot create the thread pool's condition");
  }
  return ATTNC_OK;
}

/* Claims and runs chunks of the current job until none is left. */
static void run_chunks(attnc_kernel_ctx *ctx) {
  /* Chunk c covers q indices, plus one for the first r chunks: sizes differ
   * by at most one and never fall below the grain. */
  int64_t q = ctx->n / ctx->n_chunks, r = ctx->n % ctx->n_chunks;
  for (;;) {
    int64_t c = atomic_fetch_add_explicit(&ctx->next_chunk, 1, memory_order_relaxed);
    if (c >= ctx->n_chunks)
      return;
    int64_t begin = c * q + (c < r ? c : r);
    int64_t end = begin + q + (c < r ? 1 : 0);
    ctx->fn(ctx->data, begin, end);
  }
}

/* How long an idle worker watches for the next job before it sleeps: a
 * model's loop nests follow each other closely, and a worker woken from the
 * condition variable arrives after many of them have finished (the encoder
 * of `scripts/bench.sh --quick` ran 1.35x faster with the watch). */
#define IDLE_SPIN_NS 50000

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Returns once a job after the `seen`-th is posted or IDLE_SPIN_NS passed. */
static void watch_for_job(attnc_kernel_ctx *ctx, unsigned seen) {
  int64_t until = now_ns() + IDLE_SPIN_NS;
  while (atomic_load_explicit(&ctx->jobs, memory_order_acquire) == seen && now_ns() < until)
    for (int i = 0; i < 64; ++i)
      __asm__ __volatile__("" ::: "memory");
}

static void *worker_main(void *arg) {
  attnc_kernel_ctx *ctx = arg;
  worker_ctx = ctx;
  worker_index = atomic_fetch_add(&ctx->next_index, 1);
  pthread_mutex_lock(&ctx->mutex);
  for (;;) {
    if (ctx->tickets == 0 && !ctx->shutting_down) {
      unsigned seen = atomic_load_explicit(&ctx->jobs, memory_order_relaxed);
      pthread_mutex_unlock(&ctx->mutex);
      watch_for_job(ctx, seen);
      pthread_mutex_lock(&ctx->mutex);
    }
    while (ctx->tickets == 0 && !ctx->shutting_down)
      pthread_cond_wait(&ctx->work_ready, &ctx->mutex);
    if (ctx->shutting_down)
      break;
    --ctx->tickets;
    pthread_mutex_unlock(&ctx->mutex);
    run_chunks(ctx);
    pthread_mutex_lock(&ctx->mutex);
    if (--ctx->pending == 0)
      pthread_cond_signal(&ctx->work_done);
  }
  pthread_mutex_unlock(&ctx->mutex);
  return NULL;
}

/* Starts workers until there are `want`. Failing to start one is not an
 * error: the job runs on fewer threads, at worst on the caller alone. Only
 * the thread holding `busy` calls this. */
static void start_workers(attnc_kernel_ctx *ctx, int32_t want) {
  if (ctx->n_workers >= want)
    return;
  pthread_t *grown = realloc(ctx->workers, (size_t)want * sizeof *grown);
  if (!grown)
    return;
  ctx->workers = grown;
  /* Workers inherit a full signal mask so that the application's signals
   * keep going to the application's own threads. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  while (ctx->n_workers < want &&
         pthread_create(&ctx->workers[ctx->n_workers], NULL, worker_main, ctx) == 0)
    ++ctx->n_workers;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void attnc_parallel_for(attnc_kernel_ctx *ctx, int64_t n, int64_t grain, attnc_task_fn fn,
                        void *data) {
  if (n <= 0 || !fn)
    return;
  if (grain < 1)
    grain = 1;
  /* As many chunks as keep each at least `grain` long, capped. */
  int64_t n_chunks = n / grain;
  if (ctx && n_chunks > (int64_t)ctx->num_threads * CHUNKS_PER_THREAD)
    n_chunks = (int64_t)ctx->num_threads * CHUNKS_PER_THREAD;
  if (!ctx || ctx->num_threads <= 1 || n_chunks <= 1) {
    fn(data, 0, n);
    return;
  }

  pthread_mutex_lock(&ctx->mutex);
  if (ctx->busy) {
    /* Nested (a task parallelising again) or concurrent use: the pool is
     * already working for this run, so this loop runs where it is. */
    pthread_mutex_unlock(&ctx->mutex);
    fn(data, 0, n);
    return;
  }
  ctx->busy = 1;
  pthread_mutex_unlock(&ctx->mutex);

  int64_t helpers = n_chunks - 1;
  if (helpers > ctx->num_threads - 1)
    helpers = ctx->num_threads - 1;
  start_workers(ctx, (int32_t)helpers);

  pthread_mutex_lock(&ctx->mutex);
  if (helpers > ctx->n_workers)
    helpers = ctx->n_workers;
  ctx->fn = fn;
  ctx->data = data;
  ctx->n = n;
  ctx->n_chunks = n_chunks;
  atomic_store_explicit(&ctx->next_chunk, 0, memory_order_relaxed);
  ctx->tickets = ctx->pending = (int32_t)helpers;
  atomic_fetch_add_explicit(&ctx->jobs, 1, memory_order_release);
  if (helpers > 0)
    pthread_cond_broadcast(&ctx->work_ready);
  pthread_mutex_unlock(&ctx->mutex);

  run_chunks(ctx);

  pthread_mutex_lock(&ctx->mutex);
  /* Every chunk is claimed: a worker not yet awake has nothing to join, and
   * waiting for it to wake would cost more than a small job. Its ticket is
   * withdrawn; only workers running chunks are waited for. */
  ctx->pending -= ctx->tickets;
  ctx->tickets = 0;
  while (ctx->pending > 0)
    pthread_cond_wait(&ctx->work_done, &ctx->mutex);
  ctx->busy = 0;
  pthread_mutex_unlock(&ctx->mutex);
}

int32_t attnc_ctx_num_threads(const attnc_kernel_ctx *ctx) { return ctx ? ctx->num_threads : 1; }

int32_t attnc_ctx_thread_index(const attnc_kernel_ctx *ctx) {
  /* Workers start at most num_threads - 1 times per ctx, so indices stay
   * below num_threads. */
  return ctx && worker_ctx == ctx ? worker_index : 0;
}

void attnc_ctx_destroy(attnc_kernel_ctx *ctx) {
  pthread_mutex_lock(&ctx->mutex);
  ctx->shutting_down = 1;
  /* Ends the watch of an idle worker at once. */
  atomic_fetch_add_explicit(&ctx->jobs, 1, memory_order_release);
  pthread_cond_broadcast(&ctx->work_ready);
  pthread_mutex_unlock(&ctx->mutex);
  for (int32_t i = 0; i < ctx->n_workers; ++i)
    pthread_join(ctx->workers[i], NULL);
  free(ctx->workers);
  ctx->workers = NULL;
  ctx->n_workers = 0;
  for (int64_t i = 0; i < ctx->n_buffers; ++i)
    free(ctx->buffers[i]);
  free(ctx->buffers);
  ctx->buffers = NULL;
  ctx->n_buffers = 0;
  ctx->workspace = NULL;
  ctx->workspace_bytes = 0;
  ctx->plan_only = 0;
  ctx->planned_bytes = 0;
  pthread_cond_destroy(&ctx->work_done);
  pthread_cond_destroy(&ctx->work_ready);
  pthread_mutex_destroy(&ctx->mutex);
}
