/*===- internal.h - Shared declarations of the runtime's sources ----------===*
 *
 * Not installed. Everything here is private to libattnc_runtime.
 *
 *===----------------------------------------------------------------------===*/
#ifndef ATTNC_RUNTIME_INTERNAL_H
#define ATTNC_RUNTIME_INTERNAL_H

#include "attnc/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define ATTNC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
/* The helpers below stay out of the dynamic symbol table of any shared
 * object the runtime is linked into; only runtime.h's API is public. */
#pragma GCC visibility push(hidden)
#else
#define ATTNC_PRINTF(fmt, args)
#endif

/*===----------------------------------------------------------------------===*
 * status.c: the thread-local detail message
 *===----------------------------------------------------------------------===*/

/* Records a printf-style detail message for `status` and returns `status`,
 * so that failures read `return attnc_fail(ATTNC_ERR_..., "...", ...);`. */
attnc_status attnc_fail(attnc_status status, const char *fmt, ...) ATTNC_PRINTF(2, 3);

/* Empties the detail message; every entry point calls it first. */
void attnc_clear_error(void);

/*===----------------------------------------------------------------------===*
 * signature.c: decoding the model signature, dim expressions
 *===----------------------------------------------------------------------===*/

/* "ATNC" and the encoding version this runtime reads. */
#define ATTNC_SIG_MAGIC INT64_C(0x434E5441)
#define ATTNC_SIG_VERSION 1

/* Bounds that no real model comes near; they keep a corrupt signature from
 * driving sizes into overflow. */
#define ATTNC_SIG_MAX_COUNT (INT64_C(1) << 20)
/* The deepest evaluation stack a dim expression may need. */
#define ATTNC_EXPR_MAX_DEPTH 256

/* Tokens of a dim expression in reverse Polish form. */
enum {
  ATTNC_TOK_CONST = 0, /* followed by the value */
  ATTNC_TOK_DIM = 1,   /* followed by the dim's index */
  ATTNC_TOK_ADD = 2,
  ATTNC_TOK_SUB = 3,
  ATTNC_TOK_MUL = 4,
  ATTNC_TOK_DIV = 5 /* exact division */
};

/* A dim expression: n int64 words of tokens. */
typedef struct attnc_expr {
  const int64_t *tokens;
  int64_t n;
} attnc_expr;

/* The header of a decoded signature; everything points into the caller's
 * signature and strings, nothing is allocated. */
typedef struct attnc_sig {
  const int64_t *words;
  const char *strings;
  const char *name;
  int64_t n_dims;
  int64_t n_symbolic;
  int64_t n_inputs, n_params, n_outputs;
  int64_t n_tensors;           /* the sum of the three */
  int64_t total_rank;          /* sum of all tensor ranks */
  const int64_t *first_tensor; /* the first tensor's name word */
  int64_t n_checks;
  const int64_t *first_check; /* the first check's token count */
} attnc_sig;

/* One tensor of the signature. */
typedef struct attnc_sig_tensor {
  const char *name;
  const char *role; /* "input", "param" or "output" */
  attnc_dtype dtype;
  int32_t rank;
  const int64_t *first_axis; /* the first axis' token count */
} attnc_sig_tensor;

/* Validates the whole signature (magic, version, counts, every expression)
 * and fills `sig`. ATTNC_ERR_INTERNAL with a message on any defect. */
attnc_status attnc_sig_decode(const int64_t *words, const char *strings, attnc_sig *sig);

const char *attnc_sig_dim_name(const attnc_sig *sig, int64_t dim);
/* The fixed value of a dim, or -1 when it is symbolic. */
int64_t attnc_sig_dim_fixed(const attnc_sig *sig, int64_t dim);

/* Fills table[0 .. n_tensors) in the order inputs, params, outputs. */
void attnc_sig_tensors(const attnc_sig *sig, attnc_sig_tensor *table);
/* Tensor #index (0 <= index < n_tensors) in the same order. */
attnc_sig_tensor attnc_sig_tensor_at(const attnc_sig *sig, int64_t index);

/* Axis expressions are stored back to back: start at first_axis and step
 * with attnc_expr_next. Checks likewise from first_check. */
attnc_expr attnc_expr_at(const int64_t *p);
const int64_t *attnc_expr_next(const int64_t *p);

/* The dim an expression consists of (tokens `1 i`), or -1. */
int64_t attnc_expr_single_dim(attnc_expr e);

/* Why an evaluation failed. */
typedef enum attnc_eval_error {
  ATTNC_EVAL_OK = 0,
  ATTNC_EVAL_OVERFLOW,
  ATTNC_EVAL_DIV_BY_ZERO,
  ATTNC_EVAL_INEXACT, /* lhs is not a multiple of rhs */
  ATTNC_EVAL_NEGATIVE /* the final value is negative */
} attnc_eval_error;

typedef struct attnc_eval_result {
  attnc_eval_error error;
  int64_t value;    /* the result; the negative value for ATTNC_EVAL_NEGATIVE */
  int64_t lhs, rhs; /* the failing division's operands */
} attnc_eval_result;

/* Evaluates a validated expression with dims[i] the value of dim i. */
attnc_eval_result attnc_expr_eval(attnc_expr e, const int64_t *dims);

/* Writes the expression in infix form with dim names ("E / H") into buf;
 * truncates to fit. Returns buf. */
char *attnc_expr_format(const attnc_sig *sig, attnc_expr e, char *buf, size_t size);

/* Room for a shape, an expression or a dim list inside one message. */
#define ATTNC_PIECE 256

/* "[2, 3, 4]", truncated with "..." when it does not fit. Returns buf. */
char *attnc_format_shape(const int64_t *v, int32_t n, char *buf, size_t size);

/* The symbolic dims' values, "B = 2, S = 10", for messages about an
 * expression over them; "" when the model has none. Returns buf. */
char *attnc_format_dim_values(const attnc_sig *sig, const int64_t *dims, char *buf,
                              size_t size);

/* Describes an evaluation failure ("is not a multiple of 3"): the message
 * tail after the expression has been named. */
void attnc_eval_describe(attnc_eval_result r, char *buf, size_t size);

/* "f32", "f16", "bf16", "i32", or NULL for a value outside the enum. */
const char *attnc_dtype_name(int dtype);
/* Bytes per element, 0 for a value outside the enum. */
int64_t attnc_dtype_size(int dtype);

/*===----------------------------------------------------------------------===*
 * weights.c and weights_formats.c: weights files
 *===----------------------------------------------------------------------===*/

/* Registers a tensor the reader found; `data` points into the mapping. */
attnc_status attnc_weights_add(attnc_weights *w, const char *name, size_t name_len,
                               const char *file_dtype, int32_t rank, const int64_t *shape,
                               const void *data, size_t bytes);

/* Reads the tensors of a mapped file: .npy, .npz or safetensors, told
 * apart by their first bytes. */
attnc_status attnc_weights_read_formats(attnc_weights *w, const char *path,
                                        const unsigned char *file, size_t size);

/* The index of the tensor a param named `param` takes (attnc_weights_lookup's
 * rule), or a failure naming the param and the file. */
attnc_status attnc_weights_index_for(const attnc_weights *w, const char *param, size_t *index);

/* The tensor's data in `want` (converted once and kept, when the file holds
 * another float type, or i64 for i32); `subject` ("param 'w'") names the
 * requester in messages. */
attnc_status attnc_weights_convert(attnc_weights *w, size_t index, attnc_dtype want,
                                   const char *subject, const void **data);

const char *attnc_weights_path(const attnc_weights *w);
const char *attnc_weights_entry_name(const attnc_weights *w, size_t index);
void attnc_weights_entry_shape(const attnc_weights *w, size_t index, int32_t *rank,
                               const int64_t **shape);

/*===----------------------------------------------------------------------===*
 * thread_pool.c: the kernel context
 *===----------------------------------------------------------------------===*/

struct attnc_kernel_ctx {
  int32_t num_threads; /* the caller included; >= 1 */

  pthread_mutex_t mutex;
  pthread_cond_t work_ready; /* workers wait here for tickets */
  pthread_cond_t work_done;  /* the caller waits here for pending == 0 */
  pthread_t *workers;        /* started lazily, joined by attnc_ctx_destroy */
  int32_t n_workers;
  atomic_int next_index; /* the index the next worker to start takes */
  int shutting_down;
  int busy; /* a parallel_for is in flight */

  /* The job in flight: written by its caller before any ticket is handed
   * out, read by workers only while they hold one. */
  attnc_task_fn fn;
  void *data;
  int64_t n, n_chunks;
  atomic_int_fast64_t next_chunk;
  int32_t tickets; /* workers that may still join the job */
  int32_t pending; /* tickets taken or not, not yet finished */
  atomic_uint jobs; /* jobs posted so far (and the shutdown), which idle workers watch */

  /* The run's intermediate buffers (attnc_kernel_alloc_buffers), freed by
   * attnc_ctx_destroy. */
  void **buffers;
  int64_t n_buffers;
  /* The caller's memory for them (attnc_exec.workspace), if any. */
  void *workspace;
  size_t workspace_bytes;
  /* Set by NAME_workspace_bytes: attnc_kernel_alloc_buffers only records
   * the bytes the run needs, and the kernel stops there. */
  int plan_only;
  int64_t planned_bytes;
  /* A failure inside the kernel, returned by the run once the kernel is
   * back; its message is already recorded on the calling thread. */
  attnc_status failure;
  /* For messages: the model's signature and every dim's value (may be
   * NULL). */
  const attnc_sig *sig;
  const int64_t *dims;
};

/* Prepares a context for num_threads threads (>= 1); starts no thread. */
attnc_status attnc_ctx_init(attnc_kernel_ctx *ctx, int32_t num_threads);

/* Stops and joins the workers, frees the context's resources and the
 * run's intermediate buffers. */
void attnc_ctx_destroy(attnc_kernel_ctx *ctx);

/* Online cores, at least 1. */
int32_t attnc_online_cores(void);

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility pop
#endif

#endif /* ATTNC_RUNTIME_INTERNAL_H */
