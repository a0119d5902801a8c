/*===- buffers.c - A kernel's intermediate buffers ------------------------===*
 *
 * A compiled kernel asks for all of its heap buffers in one call, before it
 * computes anything (the compiler hoists them there; docs/internals/abi.md).
 * So a size that overflows, or an allocation that fails, ends the run before
 * any output is written; and nothing can leak, since the buffers belong to
 * the run's context and are freed with it.
 *
 * The whole-run buffers share one arena: two whose ranges of use do not
 * overlap may take the same bytes (planned here, since sizes are known only
 * now). Buffers of loop iterations (a parallel task's scratch) come after
 * it: every thread gets a copy of each, laid out thread after thread. The
 * arena and the scratch are one block, the caller's workspace when it gave
 * one (attnc_exec.workspace) large enough, else allocated for the run.
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
  int64_t first, last; /* the positions of the ops that use it */
  const int64_t *extents;
  int64_t bytes;     /* -1 when the size overflows */
  int64_t footprint; /* bytes rounded up to whole cache lines, at least one */
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
  r->first = p[2];
  r->last = p[3];
  r->extents = p + 4;
  *words = p + 4 + r->rank;
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

/* Places the n whole-run buffers (their footprints) in one
 * arena: largest first, each at the lowest offset clear of every placed
 * buffer whose range of use overlaps its own. Returns the arena's size, -1
 * on overflow. `order` is scratch for n indices. */
static int64_t plan_arena(const buffer_request *r, int64_t n, int64_t *offsets, int64_t *order) {
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  for (int64_t i = 1; i < n; ++i) /* insertion sort: few buffers */
    for (int64_t j = i; j > 0 && r[order[j]].footprint > r[order[j - 1]].footprint; --j) {
      int64_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  int64_t size = 0;
  for (int64_t k = 0; k < n; ++k) {
    const buffer_request *b = &r[order[k]];
    /* Raise the offset past every conflicting buffer it would overlap,
     * until a pass over them moves it no further. */
    int64_t offset = 0, moved = 1;
    while (moved) {
      moved = 0;
      for (int64_t q = 0; q < k; ++q) {
        int64_t j = order[q];
        if (r[j].last < b->first || b->last < r[j].first)
          continue;
        int64_t end = offsets[j] + r[j].footprint;
        if (offset < end && offsets[j] < offset + b->footprint) {
          offset = end;
          moved = 1;
        }
      }
    }
    offsets[order[k]] = offset;
    if (__builtin_add_overflow(offset, b->footprint, &offset))
      return -1;
    if (offset > size)
      size = offset;
  }
  return size;
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
  buffer_request *r = calloc((size_t)(n > 0 ? n : 1), sizeof *r);
  int64_t *offsets = malloc((size_t)(n > 0 ? n : 1) * 2 * sizeof *offsets);
  void **grown = realloc(ctx->buffers, (size_t)(ctx->n_buffers + 2) * sizeof *grown);
  if (grown)
    ctx->buffers = grown;
  if (!r || !offsets || !grown) {
    free(r);
    free(offsets);
    attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "cannot plan the kernel's %" PRId64 " buffers", n);
    return fail_with(ctx, ATTNC_ERR_OUT_OF_MEMORY);
  }
  attnc_status status = ATTNC_OK;
  const int64_t whole = n - n_per_thread;

  /* Every size first, so that an impossible one is reported as such even
   * when an allocation would already fail. */
  const int64_t *words = requests;
  const char *text = names;
  for (int64_t i = 0; i < n && status == ATTNC_OK; ++i) {
    if (!next_request(&words, &text, &r[i])) {
      attnc_fail(ATTNC_ERR_INTERNAL, "the kernel's buffer request %" PRId64 " is malformed", i);
      status = fail_with(ctx, ATTNC_ERR_INTERNAL);
    } else if (r[i].bytes < 0) {
      status = fail_request(ctx, &r[i], "is too large: its size in bytes overflows 64 bits");
    } else {
      r[i].footprint = round_up_64(r[i].bytes > 0 ? r[i].bytes : 1);
    }
  }

  /* The arena, then each per-thread buffer at a cache-line boundary of one
   * thread's copy. */
  int64_t arena = 0, stride = 0, scratch = 0, total = 0;
  if (status == ATTNC_OK && (arena = plan_arena(r, whole, offsets, offsets + n)) < 0)
    status = fail_request(ctx, &r[0], "is too large: the run's buffers overflow 64 bits");
  for (int64_t i = whole; i < n && status == ATTNC_OK; ++i) {
    offsets[i] = stride;
    if (__builtin_add_overflow(stride, r[i].footprint, &stride))
      status = fail_request(ctx, &r[i], "is too large: the per-thread scratch overflows 64 bits");
  }
  if (status == ATTNC_OK &&
      (__builtin_mul_overflow(stride, (int64_t)ctx->num_threads, &scratch) ||
       __builtin_add_overflow(arena, scratch, &total)))
    status = fail_request(ctx, &r[whole < n ? whole : 0],
                          "is too large: one copy per thread overflows 64 bits");

  /* The caller's workspace (which may start anywhere: 63 bytes of slack
   * align it) takes the arena, and the per-thread scratch after it when it
   * has room for this run's threads: NAME_workspace_bytes counts the copies
   * of a run on every core. Otherwise the scratch is the run's own. Every
   * footprint is whole cache lines, so the scratch starts aligned. */
  int64_t needed = arena > 0 ? arena + 63 : 0;
  int64_t with_scratch = scratch > 0 ? total + 63 : needed;
  unsigned char *arena_block = NULL, *scratch_block = NULL;
  int use_workspace = ctx->workspace && total > 0;
  int scratch_in_workspace =
      use_workspace && scratch > 0 && (uint64_t)with_scratch <= ctx->workspace_bytes;
  if (status == ATTNC_OK && ctx->plan_only) {
    int64_t every_core = 0, planned = needed;
    if (stride > 0 &&
        (__builtin_mul_overflow(stride, (int64_t)attnc_online_cores(), &every_core) ||
         __builtin_add_overflow(arena + 63, every_core, &planned)))
      status = fail_request(ctx, &r[whole], "is too large: one copy per core overflows 64 bits");
    else
      status = ATTNC_ERR_INVALID_ARGUMENT; /* the kernel stops here; no message */
    ctx->planned_bytes = planned;
  } else if (status == ATTNC_OK && use_workspace && (uint64_t)needed > ctx->workspace_bytes) {
    attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
               "the workspace holds %zu bytes; this run needs %" PRId64
               " (NAME_workspace_bytes for its dims)",
               ctx->workspace_bytes, needed);
    status = fail_with(ctx, ATTNC_ERR_INVALID_ARGUMENT);
  } else if (status == ATTNC_OK) {
    int64_t own = !use_workspace ? total : scratch_in_workspace ? 0 : scratch;
    unsigned char *block = own > 0 ? take_block(ctx, own) : NULL;
    if (own > 0 && !block) {
      /* Named: the largest whole-run buffer, or the loop's first buffer
       * when the per-thread copies are what is large. */
      char problem[ATTNC_PIECE];
      if (whole > 0 && !use_workspace && arena >= scratch) {
        const buffer_request *big = &r[offsets[n]];
        snprintf(problem, sizeof problem, "needs %" PRId64 " bytes, which could not be allocated",
                 big->bytes);
        status = fail_request(ctx, big, problem);
      } else {
        snprintf(problem, sizeof problem,
                 "needs %" PRId64 " bytes per thread with the other buffers of its loop, %" PRId32
                 " threads: %" PRId64 " bytes, which could not be allocated",
                 r[whole].bytes, ctx->num_threads, scratch);
        status = fail_request(ctx, &r[whole], problem);
      }
    } else if (use_workspace) {
      arena_block = (unsigned char *)(((uintptr_t)ctx->workspace + 63) / 64 * 64);
      scratch_block = scratch_in_workspace ? arena_block + arena : block;
    } else {
      arena_block = block;
      scratch_block = block ? block + arena : NULL;
    }
  }

  /* Everything is allocated: only now is buffers[] written. */
  if (status == ATTNC_OK) {
    for (int64_t i = 0; i < n; ++i)
      buffers[i] = i < whole ? arena_block + offsets[i] : scratch_block + offsets[i];
    if (n_per_thread > 0)
      *thread_stride = stride;
  }
  free(r);
  free(offsets);
  return status;
}
