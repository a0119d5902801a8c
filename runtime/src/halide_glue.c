/*===- halide_glue.c - Halide pipelines on the runtime's threads ----------===*
 *
 * The loop nests Halide compiles call into Halide's runtime, which
 * libattnc_runtime carries (runtime/halide/). Halide's runtime defines its
 * hooks as weak symbols; the strong definitions here replace them, so that
 *   - a pipeline's parallel loops run on the calling run's threads (its
 *     user_context is the kernel's attnc_kernel_ctx) and honour
 *     attnc_exec.num_threads; Halide never starts a thread pool of its own,
 *     so no thread outlives a run;
 *   - an error becomes the run's detail message instead of aborting.
 * Halide's types are spelled out here, so that the runtime still builds from
 * C11 alone.
 *
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <stdatomic.h>
#include <string.h>

typedef int (*halide_task_t)(void *user_context, int task_number, uint8_t *closure);

/* halide_error_code_buffer_allocation_too_large and _out_of_memory in
 * HalideRuntime.h. */
#define HALIDE_ERROR_ALLOCATION_TOO_LARGE (-5)
#define HALIDE_ERROR_OUT_OF_MEMORY (-11)

int halide_do_par_for(void *user_context, halide_task_t f, int min, int size, uint8_t *closure);
void halide_error(void *user_context, const char *msg);

/* One parallel loop of a pipeline: its tasks are min .. min + size - 1. */
typedef struct halide_loop {
  void *user_context;
  halide_task_t task;
  uint8_t *closure;
  int min;
  atomic_int result; /* the first non-zero result of a task */
} halide_loop;

static void run_halide_tasks(void *data, int64_t begin, int64_t end) {
  halide_loop *loop = data;
  for (int64_t i = begin; i < end; ++i) {
    if (atomic_load_explicit(&loop->result, memory_order_relaxed) != 0)
      return;
    int r = loop->task(loop->user_context, loop->min + (int)i, loop->closure);
    if (r != 0) {
      int none = 0;
      atomic_compare_exchange_strong(&loop->result, &none, r);
    }
  }
}

int halide_do_par_for(void *user_context, halide_task_t f, int min, int size, uint8_t *closure) {
  halide_loop loop = {user_context, f, closure, min, 0};
  attnc_parallel_for((attnc_kernel_ctx *)user_context, size, 1, run_halide_tasks, &loop);
  return atomic_load(&loop.result);
}

void halide_error(void *user_context, const char *msg) {
  (void)user_context;
  /* Halide ends some messages with a newline; the detail message has none. */
  size_t n = strlen(msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    --n;
  attnc_fail(ATTNC_ERR_INTERNAL, "Halide pipeline: %.*s", (int)n, msg);
}

attnc_status attnc_kernel_halide_failed(attnc_kernel_ctx *ctx, int32_t result) {
  attnc_status s = result == HALIDE_ERROR_OUT_OF_MEMORY ||
                           result == HALIDE_ERROR_ALLOCATION_TOO_LARGE
                       ? ATTNC_ERR_OUT_OF_MEMORY
                       : ATTNC_ERR_INTERNAL;
  if (attnc_last_error()[0] == '\0')
    attnc_fail(s, "Halide pipeline failed with code %d", (int)result);
  if (ctx && ctx->failure == ATTNC_OK)
    ctx->failure = s;
  return s;
}
