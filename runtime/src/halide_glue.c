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

/* halide_buffer_t and halide_dimension_t of HalideRuntime.h (Halide 21). */
typedef struct halide_dimension {
  int32_t min, extent, stride;
  uint32_t flags;
} halide_dimension;

typedef struct halide_buffer {
  uint64_t device;
  const void *device_interface;
  uint8_t *host;
  uint64_t flags;
  uint8_t type_code, type_bits;
  uint16_t type_lanes;
  int32_t dimensions;
  halide_dimension *dim;
  void *padding;
} halide_buffer;

/* The most operands, and the highest rank, of one pipeline call. */
#define HALIDE_MAX_OPERANDS 64
#define HALIDE_MAX_RANK 16

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

/* Makes the run fail with `status` (its first failure wins). */
static attnc_status fail_run(attnc_kernel_ctx *ctx, attnc_status status) {
  if (ctx && ctx->failure == ATTNC_OK)
    ctx->failure = status;
  return status;
}

attnc_status attnc_kernel_halide_failed(attnc_kernel_ctx *ctx, int32_t result) {
  attnc_status s = result == HALIDE_ERROR_OUT_OF_MEMORY ||
                           result == HALIDE_ERROR_ALLOCATION_TOO_LARGE
                       ? ATTNC_ERR_OUT_OF_MEMORY
                       : ATTNC_ERR_INTERNAL;
  if (attnc_last_error()[0] == '\0')
    attnc_fail(s, "Halide pipeline failed with code %d", (int)result);
  return fail_run(ctx, s);
}

/* Halide's buffer for the memref descriptor at `words` ({allocated, aligned,
 * offset, sizes[rank], strides[rank]}, a word each); returns the words it
 * read, or -1 when an extent or stride is beyond Halide's int32 or, with
 * `narrow`, the buffer holds 2^31 elements or more. */
static int64_t buffer_of(const int64_t *words, int64_t rank, int64_t code, int64_t bits,
                         int narrow, halide_buffer *buffer, halide_dimension *dims) {
  const int64_t *sizes = words + 3, *strides = words + 3 + rank;
  int64_t elements = 1;
  for (int64_t d = 0; d < rank; ++d) {
    /* Halide's dimension 0 is the innermost. */
    int64_t extent = sizes[rank - 1 - d], stride = strides[rank - 1 - d];
    if (extent > INT32_MAX || stride > INT32_MAX || stride < INT32_MIN)
      return -1;
    /* Saturates: any count past 2^31 is too many. */
    elements = elements > INT32_MAX ? elements * (extent != 0) : elements * extent;
    dims[d] = (halide_dimension){0, (int32_t)extent, (int32_t)stride, 0};
  }
  if (narrow && elements > INT32_MAX)
    return -1;
  uint8_t *aligned;
  memcpy(&aligned, &words[1], sizeof aligned);
  *buffer = (halide_buffer){0};
  buffer->host = aligned + words[2] * (bits / 8);
  buffer->type_code = (uint8_t)code;
  buffer->type_bits = (uint8_t)bits;
  buffer->type_lanes = 1;
  buffer->dimensions = (int32_t)rank;
  buffer->dim = dims;
  return 3 + 2 * rank;
}

void attnc_kernel_call_halide(attnc_kernel_ctx *ctx, int (*pipeline)(void **args),
                              const int64_t *layout, const int64_t *descriptors) {
  if (ctx && ctx->failure != ATTNC_OK)
    return;
  int64_t n = layout[0];
  int narrow = (layout[1] & ATTNC_HALIDE_NARROW_INDICES) != 0;
  if (n < 0 || n > HALIDE_MAX_OPERANDS) {
    fail_run(ctx, attnc_fail(ATTNC_ERR_INTERNAL, "Halide pipeline: %lld operands", (long long)n));
    return;
  }
  halide_buffer buffers[HALIDE_MAX_OPERANDS];
  halide_dimension dims[HALIDE_MAX_OPERANDS][HALIDE_MAX_RANK];
  void *args[HALIDE_MAX_OPERANDS + 1];
  const void *user_context = ctx;
  args[0] = &user_context;
  const int64_t *words = descriptors;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t *entry = layout + 2 + 3 * i;
    int64_t rank = entry[0], code = entry[1], bits = entry[2];
    if (rank == -1) { /* a scalar: Halide reads it where the word is */
      args[1 + i] = (void *)words;
      words += 1;
      continue;
    }
    if (rank < 0 || rank > HALIDE_MAX_RANK) {
      fail_run(ctx, attnc_fail(ATTNC_ERR_INTERNAL, "Halide pipeline: operand %lld of rank %lld",
                               (long long)i, (long long)rank));
      return;
    }
    int64_t read = buffer_of(words, rank, code, bits, narrow, &buffers[i], dims[i]);
    if (read < 0) {
      fail_run(ctx, attnc_fail(ATTNC_ERR_UNSUPPORTED,
                               narrow ? "Halide pipeline: operand %lld has 2^31 elements or more, "
                                        "or an extent or stride beyond 2^31 - 1 (compile without "
                                        "--halide)"
                                      : "Halide pipeline: operand %lld has an extent or stride "
                                        "beyond 2^31 - 1 elements (compile without --halide)",
                               (long long)i));
      return;
    }
    words += read;
    args[1 + i] = &buffers[i];
  }
  int result = pipeline(args);
  if (result != 0)
    attnc_kernel_halide_failed(ctx, result);
}
