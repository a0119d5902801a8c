/*===- buffers.c - A kernel's intermediate buffers ------------------------===*
 *
 * A compiled kernel asks for all of its heap buffers in one call, before it
 * computes anything (the compiler hoists them there; docs/internals/abi.md).
 * So a size that overflows, or an allocation that fails, ends the run before
 * any output is written; and nothing can leak, since the buffers belong to
 * the run's context and are freed with it.
 *
 * Buffers of loop iterations (a parallel task's scratch) come last: every
 * thread gets a copy of each, laid out thread after thread in one block.
 *
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More axes than any model has: a larger rank means a corrupt request. */
#define ATTNC_MAX_BUFFER_RANK 4096

/* One decoded request. */
typedef struct buffer_request {
  const char *what; /* "'h' at encoder.attn:29:11" */
  const char *type; /* "f32" */
  int64_t elem_bytes;
  int32_t rank;
  const int64_t *extents;
  int64_t bytes; /* -1 when the size overflows */
} buffer_request;

/* Rounds up to whole cache lines; -1 on overflow. */
static int64_t round_up_64(int64_t bytes) {
  return bytes > INT64_MAX - 63 ? -1 : (bytes + 63) / 64 * 64;
}

/* Decodes the request at *words and its two names at *names, advancing
 * both; 0 for a malformed request. */
static int next_request(const int64_t **words, const char **names, buffer_request *r) {
  const int64_t *p = *words;
  if (p[0] <= 0 || p[1] < 0 || p[1] > ATTNC_MAX_BUFFER_RANK)
    return 0;
  r->elem_bytes = p[0];
  r->rank = (int32_t)p[1];
  r->extents = p + 2;
  *words = p + 2 + r->rank;
  r->what = *names;
  r->type = r->what + strlen(r->what) + 1;
  *names = r->type + strlen(r->type) + 1;
  r->bytes = r->elem_bytes;
  for (int32_t a = 0; a < r->rank && r->bytes >= 0; ++a)
    if (r->extents[a] < 0 || __builtin_mul_overflow(r->bytes, r->extents[a], &r->bytes))
      r->bytes = -1;
  if (r->bytes >= 0)
    r->bytes = round_up_64(r->bytes > 0 ? r->bytes : 1) < 0 ? -1 : r->bytes;
  return 1;
}

static attnc_status fail_with(attnc_kernel_ctx *ctx, attnc_status status) {
  ctx->failure = status;
  return status;
}

/* "WHAT: f32[2, 3] PROBLEM (with B = 2)". */
static attnc_status fail_request(attnc_kernel_ctx *ctx, const buffer_request *r,
                                 const char *problem) {
  char shape[ATTNC_PIECE], values[ATTNC_PIECE] = "";
  attnc_format_shape(r->extents, r->rank, shape, sizeof shape);
  if (ctx->sig && ctx->dims)
    attnc_format_dim_values(ctx->sig, ctx->dims, values, sizeof values);
  attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "%s: %s%s %s%s%s%s", r->what, r->type, shape, problem,
             values[0] ? " (with " : "", values, values[0] ? ")" : "");
  return fail_with(ctx, ATTNC_ERR_OUT_OF_MEMORY);
}

/* Allocates `bytes` (> 0, a multiple of 64) and records the block in the
 * ctx, which frees it after the run; NULL when out of memory. */
static void *take_block(attnc_kernel_ctx *ctx, int64_t bytes) {
  if ((uint64_t)bytes > SIZE_MAX)
    return NULL;
  void *p = aligned_alloc(64, (size_t)bytes);
  if (p)
    ctx->buffers[ctx->n_buffers++] = p;
  return p;
}

/* Frees the blocks recorded after the first `keep`. */
static void drop_blocks(attnc_kernel_ctx *ctx, int64_t keep) {
  while (ctx->n_buffers > keep)
    free(ctx->buffers[--ctx->n_buffers]);
}

attnc_status attnc_kernel_alloc_buffers(attnc_kernel_ctx *ctx, const char *names,
                                        const int64_t *requests, int64_t n,
                                        int64_t n_per_thread, void **buffers,
                                        int64_t *thread_stride) {
  if (!ctx)
    return attnc_fail(ATTNC_ERR_INTERNAL, "the kernel's buffer request has no context");
  if (n < 0 || n > ATTNC_SIG_MAX_COUNT || n_per_thread < 0 || n_per_thread > n ||
      (n > 0 && (!names || !requests || !buffers)) || (n_per_thread > 0 && !thread_stride)) {
    attnc_fail(ATTNC_ERR_INTERNAL, "the kernel's buffer request is malformed");
    return fail_with(ctx, ATTNC_ERR_INTERNAL);
  }

  /* Every size first, so that an impossible one is reported as such even
   * when an earlier allocation would already fail; then the per-thread
   * layout: each copy at a cache-line boundary. */
  const int64_t *words = requests;
  const char *text = names;
  int64_t stride = 0;
  buffer_request first_per_thread = {0};
  for (int64_t i = 0; i < n; ++i) {
    buffer_request r = {0};
    if (!next_request(&words, &text, &r)) {
      attnc_fail(ATTNC_ERR_INTERNAL, "the kernel's buffer request %" PRId64 " is malformed", i);
      return fail_with(ctx, ATTNC_ERR_INTERNAL);
    }
    if (r.bytes < 0)
      return fail_request(ctx, &r, "is too large: its size in bytes overflows 64 bits");
    if (i == n - n_per_thread)
      first_per_thread = r;
    if (i >= n - n_per_thread && __builtin_add_overflow(stride, round_up_64(r.bytes), &stride))
      return fail_request(ctx, &r, "is too large: the per-thread scratch overflows 64 bits");
  }
  int64_t scratch = 0;
  if (n_per_thread > 0 && __builtin_mul_overflow(stride, (int64_t)ctx->num_threads, &scratch))
    return fail_request(ctx, &first_per_thread,
                        "is too large: one copy per thread overflows 64 bits");

  /* Room to record every block (one per whole-run buffer, one scratch). */
  int64_t blocks = n - n_per_thread + (n_per_thread > 0);
  void **grown = realloc(ctx->buffers, (size_t)(ctx->n_buffers + blocks + 1) * sizeof *grown);
  if (!grown) {
    attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "cannot allocate the list of the kernel's %" PRId64
               " buffers", n);
    return fail_with(ctx, ATTNC_ERR_OUT_OF_MEMORY);
  }
  ctx->buffers = grown;
  const int64_t keep = ctx->n_buffers;
  words = requests;
  text = names;
  unsigned char *block = NULL;
  for (int64_t i = 0; i < n; ++i) {
    buffer_request r = {0};
    next_request(&words, &text, &r); /* valid: decoded above */
    char problem[ATTNC_PIECE];
    if (i < n - n_per_thread) {
      if (!take_block(ctx, round_up_64(r.bytes > 0 ? r.bytes : 1))) {
        drop_blocks(ctx, keep);
        snprintf(problem, sizeof problem, "needs %" PRId64 " bytes, which could not be allocated",
                 r.bytes);
        return fail_request(ctx, &r, problem);
      }
      continue;
    }
    if (!block && !(block = take_block(ctx, scratch > 0 ? scratch : 64))) {
      drop_blocks(ctx, keep);
      snprintf(problem, sizeof problem,
               "needs %" PRId64 " bytes per thread with the other buffers of its loop, %" PRId32
               " threads: %" PRId64 " bytes, which could not be allocated",
               r.bytes, ctx->num_threads, scratch);
      return fail_request(ctx, &r, problem);
    }
  }
  /* Everything is allocated: only now is buffers[] written. */
  words = requests;
  text = names;
  int64_t offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    buffer_request r = {0};
    next_request(&words, &text, &r);
    if (i < n - n_per_thread) {
      buffers[i] = ctx->buffers[keep + i];
    } else {
      buffers[i] = block + offset;
      offset += round_up_64(r.bytes);
    }
  }
  if (n_per_thread > 0)
    *thread_stride = stride;
  return ATTNC_OK;
}
