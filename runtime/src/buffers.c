/*===- buffers.c - A kernel's intermediate buffers ------------------------===*
 *
 * A compiled kernel asks for all of its heap buffers in one call, before it
 * computes anything (the compiler hoists them there; docs/internals/abi.md).
 * So a size that overflows, or an allocation that fails, ends the run before
 * any output is written; and nothing can leak, since the buffers belong to
 * the run's context and are freed with it.
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
} buffer_request;

/* Decodes the request at *words and the two names at *names, advancing
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
  return 1;
}

/* The size of the buffer in bytes, or -1 when it overflows int64 (or a
 * negative extent makes it meaningless). */
static int64_t request_bytes(const buffer_request *r) {
  int64_t bytes = r->elem_bytes;
  for (int32_t a = 0; a < r->rank; ++a)
    if (r->extents[a] < 0 || __builtin_mul_overflow(bytes, r->extents[a], &bytes))
      return -1;
  return bytes;
}

static attnc_status fail_request(attnc_kernel_ctx *ctx, const buffer_request *r,
                                 const char *problem) {
  char shape[ATTNC_PIECE], values[ATTNC_PIECE] = "";
  attnc_format_shape(r->extents, r->rank, shape, sizeof shape);
  if (ctx->sig && ctx->dims)
    attnc_format_dim_values(ctx->sig, ctx->dims, values, sizeof values);
  ctx->failure = ATTNC_ERR_OUT_OF_MEMORY;
  return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "%s: %s%s %s%s%s%s", r->what, r->type, shape,
                    problem, values[0] ? " (with " : "", values, values[0] ? ")" : "");
}

attnc_status attnc_kernel_alloc_buffers(attnc_kernel_ctx *ctx, const char *names,
                                        const int64_t *requests, int64_t n, void **buffers) {
  if (!ctx || n < 0 || (n > 0 && (!names || !requests || !buffers)) ||
      n > ATTNC_SIG_MAX_COUNT) {
    if (ctx)
      ctx->failure = ATTNC_ERR_INTERNAL;
    return attnc_fail(ATTNC_ERR_INTERNAL, "the kernel's buffer request is malformed");
  }
  /* Every size first, so that an impossible one is reported as such even
   * when an earlier allocation would already fail. */
  const int64_t *words = requests;
  const char *text = names;
  for (int64_t i = 0; i < n; ++i) {
    buffer_request r = {0};
    if (!next_request(&words, &text, &r)) {
      ctx->failure = ATTNC_ERR_INTERNAL;
      return attnc_fail(ATTNC_ERR_INTERNAL, "the kernel's buffer request %" PRId64
                        " is malformed", i);
    }
    int64_t bytes = request_bytes(&r);
    if (bytes < 0 || (uint64_t)bytes > (uint64_t)SIZE_MAX - 63)
      return fail_request(ctx, &r, "is too large: its size in bytes overflows 64 bits");
  }

  void **owned = realloc(ctx->buffers, (size_t)(ctx->n_buffers + n) * sizeof *owned);
  if (!owned && ctx->n_buffers + n > 0) {
    ctx->failure = ATTNC_ERR_OUT_OF_MEMORY;
    return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY,
                      "cannot allocate the list of the kernel's %" PRId64 " buffers", n);
  }
  ctx->buffers = owned;
  words = requests;
  text = names;
  for (int64_t i = 0; i < n; ++i) {
    buffer_request r = {0};
    next_request(&words, &text, &r); /* valid: checked above */
    size_t bytes = (size_t)request_bytes(&r);
    /* Rounded up to whole cache lines, as aligned_alloc wants a multiple of
     * the alignment; an empty buffer still gets a valid pointer. */
    size_t rounded = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded);
    if (!p) {
      for (int64_t j = 0; j < i; ++j)
        free(ctx->buffers[ctx->n_buffers + j]);
      char problem[ATTNC_PIECE];
      snprintf(problem, sizeof problem, "needs %zu bytes, which could not be allocated", bytes);
      return fail_request(ctx, &r, problem);
    }
    ctx->buffers[ctx->n_buffers + i] = p;
  }
  for (int64_t i = 0; i < n; ++i)
    buffers[i] = ctx->buffers[ctx->n_buffers + i];
  ctx->n_buffers += n;
  return ATTNC_OK;
}
