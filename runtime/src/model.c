/*===- model.c - Checking a model's arguments and calling its kernel ------===*
 *
 * attnc_model_run, attnc_model_run_tensors and attnc_model_output_elements:
 * everything a generated object's public functions do, done once here in
 * plain C. Every argument is checked before anything is built, so the
 * compiled kernel only ever sees shapes the model accepts; the kernel then
 * gets its arguments as MLIR memref descriptors (docs/internals/abi.md).
 *
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <inttypes.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*===----------------------------------------------------------------------===*
 * Message helpers
 *===----------------------------------------------------------------------===*/

/* The tensor's type as the model declares it: "f32[B, S, 256]". */
static char *format_type(const attnc_sig *sig, const attnc_sig_tensor *t, char *buf,
                         size_t size) {
  size_t len = (size_t)snprintf(buf, size, "%s[", attnc_dtype_name(t->dtype));
  const int64_t *p = t->first_axis;
  for (int32_t a = 0; a < t->rank && len < size; ++a, p = attnc_expr_next(p)) {
    char expr[ATTNC_PIECE];
    attnc_expr_format(sig, attnc_expr_at(p), expr, sizeof expr);
    len += (size_t)snprintf(buf + len, size - len, "%s%s", a ? ", " : "", expr);
  }
  if (len < size)
    snprintf(buf + len, size - len, "]");
  return buf;
}

/* Fails for an expression that could not be evaluated with these dims.
 * `subject` says what it is ("check", "input 'x': axis 1 extent"). An
 * extent that overflows int64 is an invalid argument (the dims are too large
 * to describe any buffer); every other failure means the dims do not fit the
 * model's shape rules. */
static attnc_status fail_eval(const attnc_sig *sig, const char *subject, attnc_expr e,
                              attnc_eval_result r, const int64_t *dims, int overflow_is_shape) {
  char expr[ATTNC_PIECE], why[ATTNC_PIECE], values[ATTNC_PIECE];
  attnc_expr_format(sig, e, expr, sizeof expr);
  attnc_eval_describe(r, why, sizeof why);
  attnc_format_dim_values(sig, dims, values, sizeof values);
  attnc_status s = r.error == ATTNC_EVAL_OVERFLOW && !overflow_is_shape
                       ? ATTNC_ERR_INVALID_ARGUMENT
                       : ATTNC_ERR_SHAPE_MISMATCH;
  if (values[0])
    return attnc_fail(s, "%s '%s' %s (with %s)", subject, expr, why, values);
  return attnc_fail(s, "%s '%s' %s", subject, expr, why);
}

/*===----------------------------------------------------------------------===*
 * The per-call workspace
 *===----------------------------------------------------------------------===*/

/* A memref descriptor of any rank, laid out as MLIR's C interface expects:
 * rank sizes follow `offset`, then rank strides. */
typedef struct memref_desc {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes_strides[];
} memref_desc;

static size_t desc_bytes(int64_t rank) {
  return sizeof(memref_desc) + 2 * (size_t)rank * sizeof(int64_t);
}

/* Everything one call needs, carved from one allocation. */
typedef struct workspace {
  attnc_sig_tensor *tensors; /* n_tensors: inputs, params, outputs */
  int64_t *dims;             /* max(n_dims, 1): every dim's value */
  int64_t *origin;           /* n_dims: first global axis a dim was inferred from, or -1 */
  int64_t *axis_base;        /* n_tensors: index of the tensor's first axis in extents */
  int64_t *extents;          /* total_rank */
  void **data;               /* n_tensors: what the kernel gets */
  void **caller_data;        /* n_tensors: what the caller passed */
  void **args;               /* n_tensors + 2: the kernel's arguments */
  unsigned char *descs;      /* the memref descriptors */
  unsigned char *block; /* the one allocation holding all of the above */
} workspace;

/* Takes the next `bytes` at *offset from `block`, keeping every slice aligned
 * for any type. With a NULL block it only measures. */
static void *slice(unsigned char *block, size_t *offset, size_t bytes) {
  const size_t align = alignof(max_align_t);
  void *p = block ? block + *offset : NULL;
  *offset += (bytes + align - 1) / align * align;
  return p;
}

/* Places the workspace's arrays in `block` and returns its size. */
static size_t workspace_layout(const attnc_sig *sig, workspace *w, unsigned char *block) {
  size_t nt = (size_t)sig->n_tensors, nd = sig->n_dims > 0 ? (size_t)sig->n_dims : 1;
  size_t axes = (size_t)sig->total_rank, at = 0;
  w->tensors = slice(block, &at, nt * sizeof *w->tensors);
  w->dims = slice(block, &at, nd * sizeof *w->dims);
  w->origin = slice(block, &at, nd * sizeof *w->origin);
  w->axis_base = slice(block, &at, nt * sizeof *w->axis_base);
  w->extents = slice(block, &at, axes * sizeof *w->extents);
  w->data = slice(block, &at, nt * sizeof *w->data);
  w->caller_data = slice(block, &at, nt * sizeof *w->caller_data);
  w->args = slice(block, &at, (nt + 2) * sizeof *w->args);
  /* One descriptor per tensor plus the dims' (rank 1). */
  w->descs = slice(block, &at, (nt + 1) * sizeof(memref_desc) + 2 * (axes + 1) * sizeof(int64_t));
  return at;
}

static attnc_status workspace_init(const attnc_sig *sig, workspace *w) {
  size_t size = workspace_layout(sig, w, NULL);
  w->block = malloc(size);
  if (!w->block)
    return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY,
                      "cannot allocate %zu bytes of argument descriptors for model '%s'", size,
                      sig->name);
  workspace_layout(sig, w, w->block);

  attnc_sig_tensors(sig, w->tensors);
  int64_t base = 0;
  for (int64_t i = 0; i < sig->n_tensors; ++i) {
    w->axis_base[i] = base;
    base += w->tensors[i].rank;
  }
  w->dims[0] = 0; /* the dims memref of a model without dims holds one 0 */
  for (int64_t d = 0; d < sig->n_dims; ++d) {
    w->dims[d] = attnc_sig_dim_fixed(sig, d);
    w->origin[d] = -1;
  }
  return ATTNC_OK;
}

/*===----------------------------------------------------------------------===*
 * Common checks
 *===----------------------------------------------------------------------===*/

/* What every entry point does first: forget the previous error, then
 * decode the signature. */
static attnc_status begin_call(const int64_t *sig_words, const char *strings,
                               attnc_sig *sig) {
  attnc_clear_error();
  return attnc_sig_decode(sig_words, strings, sig);
}

/* Reads the thread count out of `exec`, which may be NULL. */
/* What a run takes from attnc_exec. */
typedef struct run_options {
  int32_t threads;
  void *workspace;
  size_t workspace_bytes;
} run_options;

static attnc_status read_exec(const attnc_exec *exec, run_options *o) {
  /* A zero-initialised struct (struct_size 0) means defaults, as ABI.md
   * promises. Callers compiled against an older, shorter attnc_exec stay
   * valid as long as the struct reaches num_threads (the fields it does not
   * reach keep their defaults); a longer one (from a newer header) is
   * accepted and its extra fields ignored. */
  const size_t needed = offsetof(attnc_exec, num_threads) + sizeof exec->num_threads;
  const size_t with_workspace =
      offsetof(attnc_exec, workspace_bytes) + sizeof exec->workspace_bytes;
  int32_t n = 0;
  o->workspace = NULL;
  o->workspace_bytes = 0;
  if (exec && exec->struct_size != 0) {
    if (exec->struct_size < needed)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "exec->struct_size is %" PRIu32 ", must be at least %zu; set it to "
                        "sizeof(attnc_exec) (%zu)",
                        exec->struct_size, needed, sizeof(attnc_exec));
    if (exec->num_threads < 0)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "exec->num_threads is %" PRId32 ", must be >= 0 (0 = all cores)",
                        exec->num_threads);
    n = exec->num_threads;
    if (exec->struct_size >= with_workspace && exec->workspace) {
      o->workspace = exec->workspace;
      o->workspace_bytes = exec->workspace_bytes;
    }
  }
  o->threads = n > 0 ? n : attnc_online_cores();
  return ATTNC_OK;
}

/* Copies the caller's symbolic dims (NAME_dims read as int64_t[]) into
 * dims, where the fixed ones already are. */
static attnc_status take_dims(const attnc_sig *sig, const int64_t *user, int64_t *dims) {
  if (sig->n_symbolic == 0)
    return ATTNC_OK; /* the struct has only a placeholder; NULL is fine */
  if (!user)
    return attnc_fail(ATTNC_ERR_NULL_POINTER,
                      "dims is NULL, but model '%s' has %" PRId64 " symbolic dim%s", sig->name,
                      sig->n_symbolic, sig->n_symbolic == 1 ? "" : "s");
  int64_t k = 0;
  for (int64_t d = 0; d < sig->n_dims; ++d) {
    if (attnc_sig_dim_fixed(sig, d) >= 0)
      continue;
    int64_t v = user[k++];
    if (v < 0)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT, "dim %s is %" PRId64 ", must be >= 0",
                        attnc_sig_dim_name(sig, d), v);
    dims[d] = v;
  }
  return ATTNC_OK;
}

/* Splits `L R -` (reverse Polish) into L and R; 0 when `e` is no
 * subtraction. */
static int split_difference(attnc_expr e, attnc_expr *lhs, attnc_expr *rhs) {
  if (e.n < 5 || e.tokens[e.n - 1] != ATTNC_TOK_SUB)
    return 0;
  /* L ends where the stack last holds exactly one value before the end. */
  int64_t depth = 0, lhs_end = -1;
  for (int64_t i = 0; i < e.n - 1; ++i) {
    int64_t tok = e.tokens[i];
    if (tok == ATTNC_TOK_CONST || tok == ATTNC_TOK_DIM) {
      ++i;
      ++depth;
    } else {
      --depth;
    }
    if (depth == 1)
      lhs_end = i + 1;
  }
  if (lhs_end <= 0 || depth != 2)
    return 0;
  *lhs = (attnc_expr){e.tokens, lhs_end};
  *rhs = (attnc_expr){e.tokens + lhs_end, e.n - 1 - lhs_end};
  return 1;
}

static attnc_status run_checks(const attnc_sig *sig, const int64_t *dims) {
  const int64_t *p = sig->first_check;
  for (int64_t c = 0; c < sig->n_checks; ++c, p = attnc_expr_next(p)) {
    attnc_expr e = attnc_expr_at(p);
    attnc_eval_result r = attnc_expr_eval(e, dims);
    /* abi.md: any failing check, overflow included, is a shape mismatch. */
    attnc_expr lhs, rhs;
    if (r.error == ATTNC_EVAL_NEGATIVE && split_difference(e, &lhs, &rhs)) {
      /* `L - R >= 0` is the bound `R <= L` (`dim S <= 512`, a slice's
       * start within its axis): say it so. */
      char l[ATTNC_PIECE], rr[ATTNC_PIECE], values[ATTNC_PIECE];
      attnc_expr_format(sig, lhs, l, sizeof l);
      attnc_expr_format(sig, rhs, rr, sizeof rr);
      attnc_format_dim_values(sig, dims, values, sizeof values);
      return attnc_fail(ATTNC_ERR_SHAPE_MISMATCH,
                        "shape check '%s <= %s' fails: %s is %" PRId64 " (with %s)", rr, l, rr,
                        attnc_expr_eval(rhs, dims).value, values);
    }
    if (r.error != ATTNC_EVAL_OK)
      return fail_eval(sig, "shape check", e, r, dims, 1);
  }
  return ATTNC_OK;
}

/* Evaluates axis `a` of a tensor, failing with a message naming it. */
static attnc_status eval_axis(const attnc_sig *sig, const attnc_sig_tensor *t, int32_t a,
                              attnc_expr e, const int64_t *dims, int64_t *value) {
  attnc_eval_result r = attnc_expr_eval(e, dims);
  if (r.error != ATTNC_EVAL_OK) {
    char subject[ATTNC_PIECE];
    snprintf(subject, sizeof subject, "%s '%s': axis %" PRId32 " extent", t->role, t->name, a);
    return fail_eval(sig, subject, e, r, dims, 0);
  }
  *value = r.value;
  return ATTNC_OK;
}

/* Counts the elements of a dense row-major tensor of these extents, failing
 * when its size in bytes, or any of its strides, would overflow int64: the
 * kernel addresses elements with 64-bit arithmetic. */
static attnc_status count_elements(const attnc_sig_tensor *t, const int64_t *extents,
                                   int64_t *elements) {
  const int64_t elem_size = attnc_dtype_size(t->dtype);
  int64_t stride = 1, bytes;
  for (int32_t a = t->rank - 1; a >= 0; --a) {
    if (__builtin_mul_overflow(stride, extents[a], &stride) ||
        __builtin_mul_overflow(stride, elem_size, &bytes)) {
      char shape[ATTNC_PIECE];
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "%s '%s': shape %s is too large (its size overflows int64)", t->role,
                        t->name, attnc_format_shape(extents, t->rank, shape, sizeof shape));
    }
  }
  *elements = stride;
  return ATTNC_OK;
}

static attnc_status check_data(const attnc_sig_tensor *t, const void *data, int64_t elements) {
  if (!data && elements > 0)
    return attnc_fail(ATTNC_ERR_NULL_POINTER,
                      "%s '%s' is NULL (it has %" PRId64 " element%s)", t->role, t->name,
                      elements, elements == 1 ? "" : "s");
  return ATTNC_OK;
}

/*===----------------------------------------------------------------------===*
 * Calling the kernel
 *===----------------------------------------------------------------------===*/

static unsigned char *put_desc(unsigned char *p, void *data, int32_t rank,
                               const int64_t *sizes, void **arg) {
  memref_desc *d = (memref_desc *)p;
  d->allocated = data;
  d->aligned = data;
  d->offset = 0;
  int64_t stride = 1;
  for (int32_t a = rank - 1; a >= 0; --a) {
    d->sizes_strides[a] = sizes[a];
    d->sizes_strides[rank + a] = stride;
    stride *= sizes[a]; /* cannot overflow: count_elements checked */
  }
  *arg = d;
  return p + desc_bytes(rank);
}

/* The bytes a dense tensor spans (its extents were checked by count_elements). */
static uintptr_t tensor_bytes(const workspace *w, int64_t i) {
  uintptr_t bytes = (uintptr_t)attnc_dtype_size(w->tensors[i].dtype);
  for (int32_t a = 0; a < w->tensors[i].rank; ++a)
    bytes *= (uintptr_t)w->extents[w->axis_base[i] + a];
  return bytes;
}

/* Whether tensor i shares a byte with any other tensor the kernel gets. */
static int overlaps_another(const attnc_sig *sig, const workspace *w, int64_t i) {
  uintptr_t begin = (uintptr_t)w->data[i], end = begin + tensor_bytes(w, i);
  for (int64_t j = 0; j < sig->n_tensors; ++j) {
    uintptr_t j_begin = (uintptr_t)w->data[j], j_end = j_begin + tensor_bytes(w, j);
    if (j != i && begin < end && j_begin < j_end && begin < j_end && j_begin < end)
      return 1;
  }
  return 0;
}

/* The kernel's arguments: the ctx, then the descriptors of the dims and of
 * every tensor. */
static void put_args(const attnc_sig *sig, workspace *w, attnc_kernel_ctx *ctx) {
  int64_t n_dim_values = sig->n_dims > 0 ? sig->n_dims : 1;
  unsigned char *p = w->descs;
  w->args[0] = ctx;
  p = put_desc(p, w->dims, 1, &n_dim_values, &w->args[1]);
  for (int64_t i = 0; i < sig->n_tensors; ++i)
    p = put_desc(p, w->data[i], w->tensors[i].rank, w->extents + w->axis_base[i],
                 &w->args[2 + i]);
  ctx->sig = sig;
  ctx->dims = w->dims;
}

/* Builds the descriptors and runs the kernel; every check has passed.
 *
 * Kernels write an output while they still read the other tensors, and
 * assume it overlaps none of them. An output that does overlap one (an
 * in-place call, o over x) is therefore computed into a private buffer and
 * copied to the caller's afterwards. */
static attnc_status launch(const attnc_sig *sig, attnc_entry_fn entry, workspace *w,
                           const run_options *options) {
  int64_t first_output = sig->n_inputs + sig->n_params;
  attnc_status s = ATTNC_OK;
  for (int64_t i = first_output; i < sig->n_tensors; ++i) {
    w->caller_data[i] = w->data[i];
    if (s != ATTNC_OK || !overlaps_another(sig, w, i))
      continue;
    size_t bytes = tensor_bytes(w, i);
    w->data[i] = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!w->data[i])
      s = attnc_fail(ATTNC_ERR_OUT_OF_MEMORY,
                     "cannot allocate %zu bytes for output '%s', which overlaps another tensor",
                     bytes, w->tensors[i].name);
  }
  attnc_kernel_ctx ctx;
  if (s == ATTNC_OK)
    s = attnc_ctx_init(&ctx, options->threads);
  if (s == ATTNC_OK) {
    put_args(sig, w, &ctx);
    ctx.workspace = options->workspace;
    ctx.workspace_bytes = options->workspace_bytes;
    entry(w->args);
    s = ctx.failure;
    attnc_ctx_destroy(&ctx);
  }
  for (int64_t i = first_output; i < sig->n_tensors; ++i) {
    if (w->data[i] == w->caller_data[i])
      continue;
    if (s == ATTNC_OK && w->data[i])
      memcpy(w->caller_data[i], w->data[i], tensor_bytes(w, i));
    free(w->data[i]);
    w->data[i] = w->caller_data[i];
  }
  return s;
}

static attnc_status check_entry(const attnc_sig *sig, attnc_entry_fn entry) {
  if (!entry)
    return attnc_fail(ATTNC_ERR_INTERNAL, "model '%s' has no kernel entry", sig->name);
  return ATTNC_OK;
}

/*===----------------------------------------------------------------------===*
 * attnc_model_run
 *===----------------------------------------------------------------------===*/

/* Evaluates every axis from the dims, lays the tensors out, checks their
 * pointers (read from one of the typed structs). */
static attnc_status shapes_from_dims(const attnc_sig *sig, workspace *w, int check_pointers) {
  for (int64_t i = 0; i < sig->n_tensors; ++i) {
    const attnc_sig_tensor *t = &w->tensors[i];
    int64_t *extents = w->extents + w->axis_base[i];
    const int64_t *p = t->first_axis;
    for (int32_t a = 0; a < t->rank; ++a, p = attnc_expr_next(p)) {
      attnc_status s = eval_axis(sig, t, a, attnc_expr_at(p), w->dims, &extents[a]);
      if (s != ATTNC_OK)
        return s;
    }
    int64_t elements = 0;
    attnc_status s = count_elements(t, extents, &elements);
    if (s == ATTNC_OK && check_pointers)
      s = check_data(t, w->data[i], elements);
    if (s != ATTNC_OK)
      return s;
  }
  return ATTNC_OK;
}

static attnc_status model_run(const attnc_sig *sig, attnc_entry_fn entry, const int64_t *dims,
                              const void *const *inputs, const void *const *params,
                              void *const *outputs, const attnc_exec *exec) {
  attnc_status s = check_entry(sig, entry);
  run_options options;
  if (s == ATTNC_OK)
    s = read_exec(exec, &options);
  if (s != ATTNC_OK)
    return s;
  if (!inputs && sig->n_inputs > 0)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "inputs is NULL, but model '%s' has %" PRId64
                      " input%s", sig->name, sig->n_inputs, sig->n_inputs == 1 ? "" : "s");
  if (!params && sig->n_params > 0)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "params is NULL, but model '%s' has %" PRId64
                      " param%s", sig->name, sig->n_params, sig->n_params == 1 ? "" : "s");
  if (!outputs && sig->n_outputs > 0)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "outputs is NULL, but model '%s' has %" PRId64
                      " output%s", sig->name, sig->n_outputs, sig->n_outputs == 1 ? "" : "s");

  workspace w;
  if ((s = workspace_init(sig, &w)) != ATTNC_OK)
    return s;
  for (int64_t i = 0; i < sig->n_inputs; ++i)
    w.data[i] = (void *)inputs[i];
  for (int64_t i = 0; i < sig->n_params; ++i)
    w.data[sig->n_inputs + i] = (void *)params[i];
  for (int64_t i = 0; i < sig->n_outputs; ++i)
    w.data[sig->n_inputs + sig->n_params + i] = outputs[i];

  if ((s = take_dims(sig, dims, w.dims)) == ATTNC_OK &&
      (s = run_checks(sig, w.dims)) == ATTNC_OK &&
      (s = shapes_from_dims(sig, &w, 1)) == ATTNC_OK)
    s = launch(sig, entry, &w, &options);
  free(w.block);
  return s;
}

attnc_status attnc_model_run(const int64_t *sig_words, const char *strings, attnc_entry_fn entry,
                             const int64_t *dims, const void *const *inputs,
                             const void *const *params, void *const *outputs,
                             const attnc_exec *exec) {
  attnc_sig sig;
  attnc_status s = begin_call(sig_words, strings, &sig);
  if (s != ATTNC_OK)
    return s;
  return model_run(&sig, entry, dims, inputs, params, outputs, exec);
}

/*===----------------------------------------------------------------------===*
 * attnc_model_run_tensors
 *===----------------------------------------------------------------------===*/

static attnc_status check_count(const attnc_sig *sig, const char *role, int64_t expected,
                                const attnc_tensor *array, size_t given) {
  if (given != (uint64_t)expected)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                      "model '%s' has %" PRId64 " %s%s, got %zu", sig->name, expected, role,
                      expected == 1 ? "" : "s", given);
  if (!array && given > 0)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "the %s array is NULL, but its count is %zu",
                      role, given);
  return ATTNC_OK;
}

/* Checks what one tensor says about itself: dtype, rank, extents, strides,
 * data; copies its extents into the workspace. */
static attnc_status check_tensor(const attnc_sig *sig, const attnc_sig_tensor *t,
                                 const attnc_tensor *u, int64_t *extents) {
  char piece[ATTNC_PIECE], piece2[ATTNC_PIECE];
  int dtype = (int)u->dtype;
  if (!attnc_dtype_name(dtype))
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT, "%s '%s': unknown dtype %d", t->role,
                      t->name, dtype);
  if (dtype != (int)t->dtype)
    return attnc_fail(ATTNC_ERR_DTYPE_MISMATCH, "%s '%s': dtype is %s, the model expects %s",
                      t->role, t->name, attnc_dtype_name(dtype), attnc_dtype_name(t->dtype));
  if (u->rank != t->rank)
    return attnc_fail(ATTNC_ERR_SHAPE_MISMATCH,
                      "%s '%s': rank is %" PRId32 ", the model expects %" PRId32 " (%s)",
                      t->role, t->name, u->rank, t->rank,
                      format_type(sig, t, piece, sizeof piece));
  if (!u->shape && t->rank > 0)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "%s '%s': shape is NULL (rank %" PRId32 ")",
                      t->role, t->name, t->rank);
  for (int32_t a = 0; a < t->rank; ++a) {
    if (u->shape[a] < 0)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "%s '%s': axis %" PRId32 " is %" PRId64 ", extents must be >= 0",
                        t->role, t->name, a, u->shape[a]);
    extents[a] = u->shape[a];
  }

  int64_t elements = 0;
  attnc_status s = count_elements(t, extents, &elements);
  if (s != ATTNC_OK)
    return s;
  /* As with contiguity elsewhere (NumPy, PyTorch), the stride of an axis of
   * extent 1 never addresses anything, so any value passes; an empty tensor
   * has no element to address at all. */
  if (u->strides && elements > 0) {
    int64_t dense = 1;
    for (int32_t a = t->rank - 1; a >= 0; --a) {
      if (extents[a] != 1 && u->strides[a] != dense)
        return attnc_fail(ATTNC_ERR_UNSUPPORTED,
                          "%s '%s': strides %s are not dense row-major for shape %s (axis "
                          "%" PRId32 " has stride %" PRId64 ", expected %" PRId64
                          "); pass a contiguous copy",
                          t->role, t->name,
                          attnc_format_shape(u->strides, t->rank, piece, sizeof piece),
                          attnc_format_shape(extents, t->rank, piece2, sizeof piece2), a,
                          u->strides[a], dense);
      dense *= extents[a]; /* cannot overflow: count_elements checked */
    }
  }
  return check_data(t, u->data, elements);
}

/* Where a dim was first seen, for messages: "input 'q' axis 2". */
static void describe_origin(const workspace *w, int64_t n_tensors, int64_t global_axis,
                            char *buf, size_t size) {
  for (int64_t i = 0; i < n_tensors; ++i) {
    int64_t a = global_axis - w->axis_base[i];
    if (a >= 0 && a < w->tensors[i].rank) {
      snprintf(buf, size, "%s '%s' axis %" PRId64, w->tensors[i].role, w->tensors[i].name, a);
      return;
    }
  }
  snprintf(buf, size, "an earlier tensor");
}

/* Infers the symbolic dims from every axis of the first `known` tensors
 * whose extent is exactly one dim, checking that all such axes agree, and
 * fixed dims too. */
static attnc_status infer_dims(const attnc_sig *sig, workspace *w, int64_t known) {
  for (int64_t i = 0; i < known; ++i) {
    const attnc_sig_tensor *t = &w->tensors[i];
    const int64_t *p = t->first_axis;
    for (int32_t a = 0; a < t->rank; ++a, p = attnc_expr_next(p)) {
      int64_t d = attnc_expr_single_dim(attnc_expr_at(p));
      if (d < 0)
        continue;
      int64_t global_axis = w->axis_base[i] + a, extent = w->extents[global_axis];
      int64_t fixed = attnc_sig_dim_fixed(sig, d);
      const char *dim_name = attnc_sig_dim_name(sig, d);
      if (fixed >= 0) {
        if (extent != fixed)
          return attnc_fail(ATTNC_ERR_SHAPE_MISMATCH,
                            "%s '%s': axis %" PRId32 " is %" PRId64 ", dim %s is fixed at %" PRId64,
                            t->role, t->name, a, extent, dim_name, fixed);
      } else if (w->origin[d] < 0) {
        w->dims[d] = extent;
        w->origin[d] = global_axis;
      } else if (w->dims[d] != extent) {
        char origin[ATTNC_PIECE];
        describe_origin(w, known, w->origin[d], origin, sizeof origin);
        return attnc_fail(ATTNC_ERR_SHAPE_MISMATCH,
                          "%s '%s': axis %" PRId32 " is %" PRId64 ", dim %s is %" PRId64
                          " (from %s)",
                          t->role, t->name, a, extent, dim_name, w->dims[d], origin);
      }
    }
  }
  for (int64_t d = 0; d < sig->n_dims; ++d)
    if (attnc_sig_dim_fixed(sig, d) < 0 && w->origin[d] < 0)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "dim %s cannot be inferred: no %s of model '%s' has an axis of "
                        "extent exactly %s (the model's _run function takes dims explicitly)",
                        attnc_sig_dim_name(sig, d),
                        known == sig->n_tensors ? "tensor" : "input or param", sig->name,
                        attnc_sig_dim_name(sig, d));
  return ATTNC_OK;
}

/* Compares every axis of the first `known` tensors that inference did not
 * already settle with its expression evaluated over the inferred dims. */
static attnc_status check_extents(const attnc_sig *sig, workspace *w, int64_t known) {
  for (int64_t i = 0; i < known; ++i) {
    const attnc_sig_tensor *t = &w->tensors[i];
    const int64_t *p = t->first_axis;
    for (int32_t a = 0; a < t->rank; ++a, p = attnc_expr_next(p)) {
      attnc_expr e = attnc_expr_at(p);
      if (attnc_expr_single_dim(e) >= 0)
        continue;
      int64_t expected = 0, extent = w->extents[w->axis_base[i] + a];
      attnc_status s = eval_axis(sig, t, a, e, w->dims, &expected);
      if (s != ATTNC_OK)
        return s;
      if (extent == expected)
        continue;
      char expr[ATTNC_PIECE], values[ATTNC_PIECE];
      attnc_expr_format(sig, e, expr, sizeof expr);
      attnc_format_dim_values(sig, w->dims, values, sizeof values);
      if (e.n == 2 && e.tokens[0] == ATTNC_TOK_CONST)
        return attnc_fail(ATTNC_ERR_SHAPE_MISMATCH,
                          "%s '%s': axis %" PRId32 " is %" PRId64 ", expected %" PRId64,
                          t->role, t->name, a, extent, expected);
      return attnc_fail(ATTNC_ERR_SHAPE_MISMATCH,
                        "%s '%s': axis %" PRId32 " is %" PRId64 ", expected %s = %" PRId64
                        " (with %s)",
                        t->role, t->name, a, extent, expr, expected, values);
    }
  }
  return ATTNC_OK;
}

/* Checks the first `known` tensors (inputs, then params, then outputs) as
 * they describe themselves, infers the dims from them and checks the
 * model's shape checks and every remaining extent. */
static attnc_status settle_dims(const attnc_sig *sig, workspace *w, const attnc_tensor *inputs,
                                const attnc_tensor *params, const attnc_tensor *outputs,
                                int64_t known) {
  attnc_status s = ATTNC_OK;
  for (int64_t i = 0; i < known && s == ATTNC_OK; ++i) {
    const attnc_tensor *u = i < sig->n_inputs                  ? &inputs[i]
                            : i < sig->n_inputs + sig->n_params ? &params[i - sig->n_inputs]
                                : &outputs[i - sig->n_inputs - sig->n_params];
    w->data[i] = u->data;
    s = check_tensor(sig, &w->tensors[i], u, w->extents + w->axis_base[i]);
  }
  if (s == ATTNC_OK && (s = infer_dims(sig, w, known)) == ATTNC_OK &&
      (s = run_checks(sig, w->dims)) == ATTNC_OK)
    s = check_extents(sig, w, known);
  return s;
}

static attnc_status model_run_tensors(const attnc_sig *sig, attnc_entry_fn entry,
                                      const attnc_tensor *inputs, size_t n_inputs,
                                      const attnc_tensor *params, size_t n_params,
                                      attnc_tensor *outputs, size_t n_outputs,
                                      const attnc_exec *exec) {
  attnc_status s = check_entry(sig, entry);
  run_options options;
  if (s == ATTNC_OK)
    s = read_exec(exec, &options);
  if (s == ATTNC_OK)
    s = check_count(sig, "input", sig->n_inputs, inputs, n_inputs);
  if (s == ATTNC_OK)
    s = check_count(sig, "param", sig->n_params, params, n_params);
  if (s == ATTNC_OK)
    s = check_count(sig, "output", sig->n_outputs, outputs, n_outputs);
  if (s != ATTNC_OK)
    return s;

  workspace w;
  if ((s = workspace_init(sig, &w)) != ATTNC_OK)
    return s;
  if ((s = settle_dims(sig, &w, inputs, params, outputs, sig->n_tensors)) == ATTNC_OK)
    s = launch(sig, entry, &w, &options);
  free(w.block);
  return s;
}

attnc_status attnc_model_run_tensors(const int64_t *sig_words, const char *strings,
                                     attnc_entry_fn entry, const attnc_tensor *inputs,
                                     size_t n_inputs, const attnc_tensor *params,
                                     size_t n_params, attnc_tensor *outputs,
                                     size_t n_outputs, const attnc_exec *exec) {
  attnc_sig sig;
  attnc_status s = begin_call(sig_words, strings, &sig);
  if (s != ATTNC_OK)
    return s;
  return model_run_tensors(&sig, entry, inputs, n_inputs, params, n_params, outputs,
                           n_outputs, exec);
}

/*===----------------------------------------------------------------------===*
 * attnc_model_infer_dims
 *===----------------------------------------------------------------------===*/

static attnc_status model_infer_dims(const attnc_sig *sig, const attnc_tensor *inputs,
                                     size_t n_inputs, const attnc_tensor *params,
                                     size_t n_params, int64_t *dims) {
  attnc_status s = check_count(sig, "input", sig->n_inputs, inputs, n_inputs);
  if (s == ATTNC_OK)
    s = check_count(sig, "param", sig->n_params, params, n_params);
  if (s == ATTNC_OK && !dims && sig->n_symbolic > 0)
    s = attnc_fail(ATTNC_ERR_NULL_POINTER,
                   "dims is NULL, but model '%s' has %" PRId64 " symbolic dim%s", sig->name,
                   sig->n_symbolic, sig->n_symbolic == 1 ? "" : "s");
  if (s != ATTNC_OK)
    return s;
  workspace w;
  if ((s = workspace_init(sig, &w)) != ATTNC_OK)
    return s;
  s = settle_dims(sig, &w, inputs, params, NULL, sig->n_inputs + sig->n_params);
  if (s == ATTNC_OK) {
    int64_t k = 0;
    for (int64_t d = 0; d < sig->n_dims; ++d)
      if (attnc_sig_dim_fixed(sig, d) < 0)
        dims[k++] = w.dims[d];
  }
  free(w.block);
  return s;
}

attnc_status attnc_model_infer_dims(const int64_t *sig_words, const char *strings,
                                    const attnc_tensor *inputs, size_t n_inputs,
                                    const attnc_tensor *params, size_t n_params,
                                    int64_t *dims) {
  attnc_sig sig;
  attnc_status s = begin_call(sig_words, strings, &sig);
  if (s != ATTNC_OK)
    return s;
  return model_infer_dims(&sig, inputs, n_inputs, params, n_params, dims);
}

/*===----------------------------------------------------------------------===*
 * attnc_model_output_elements
 *===----------------------------------------------------------------------===*/

/* Evaluates the shape of output #index (its rank entries into `shape`)
 * and its element count, for the caller's dims; `dims` is scratch for
 * every dim's value. */
static attnc_status output_shape(const attnc_sig *sig, const int64_t *user_dims, int index,
                                 int64_t *dims, int64_t *shape, size_t *count) {
  if (index < 0 || index >= sig->n_outputs)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                      "output index %d is out of range: model '%s' has %" PRId64 " output%s",
                      index, sig->name, sig->n_outputs, sig->n_outputs == 1 ? "" : "s");
  for (int64_t d = 0; d < sig->n_dims; ++d)
    dims[d] = attnc_sig_dim_fixed(sig, d);
  attnc_status s = take_dims(sig, user_dims, dims);
  if (s == ATTNC_OK)
    s = run_checks(sig, dims);
  if (s != ATTNC_OK)
    return s;

  attnc_sig_tensor t = attnc_sig_tensor_at(sig, sig->n_inputs + sig->n_params + index);
  const int64_t *p = t.first_axis;
  int64_t elements = 1;
  for (int32_t a = 0; a < t.rank; ++a, p = attnc_expr_next(p)) {
    int64_t extent = 0;
    if ((s = eval_axis(sig, &t, a, attnc_expr_at(p), dims, &extent)) != ATTNC_OK)
      return s;
    if (__builtin_mul_overflow(elements, extent, &elements))
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "output '%s': the element count overflows int64", t.name);
    if (shape)
      shape[a] = extent;
  }
#if SIZE_MAX < INT64_MAX
  if (elements > (int64_t)SIZE_MAX)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                      "output '%s': the element count does not fit in size_t", t.name);
#endif
  *count = (size_t)elements;
  return ATTNC_OK;
}

/* Runs output_shape with scratch for the dims. */
static attnc_status with_output_shape(const int64_t *sig_words, const char *strings,
                                      const int64_t *user_dims, int index, int64_t *shape,
                                      size_t *count) {
  attnc_sig sig;
  attnc_status s = begin_call(sig_words, strings, &sig);
  if (s != ATTNC_OK)
    return s;
  int64_t *values = malloc((size_t)(sig.n_dims > 0 ? sig.n_dims : 1) * sizeof(int64_t));
  if (!values)
    return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "out of memory");
  s = output_shape(&sig, user_dims, index, values, shape, count);
  free(values);
  return s;
}

size_t attnc_model_output_elements(const int64_t *sig_words, const char *strings,
                                   const int64_t *dims, int index) {
  size_t count = 0;
  return with_output_shape(sig_words, strings, dims, index, NULL, &count) == ATTNC_OK ? count
                                                                                       : 0;
}

attnc_status attnc_model_output_shape(const int64_t *sig_words, const char *strings,
                                      const int64_t *dims, int index, int64_t *shape) {
  if (!shape) {
    attnc_clear_error();
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "shape is NULL");
  }
  size_t count = 0;
  return with_output_shape(sig_words, strings, dims, index, shape, &count);
}

/*===----------------------------------------------------------------------===*
 * attnc_model_workspace_bytes
 *===----------------------------------------------------------------------===*/

/* Runs the kernel up to its buffer request, with every tensor's extents and
 * no data: the request records the bytes the run's arena needs and stops
 * the kernel before it reads anything. */
static attnc_status plan_workspace(const attnc_sig *sig, attnc_entry_fn entry,
                                   const int64_t *dims, size_t *bytes) {
  attnc_status s = check_entry(sig, entry);
  workspace w;
  if (s != ATTNC_OK || (s = workspace_init(sig, &w)) != ATTNC_OK)
    return s;
  for (int64_t i = 0; i < sig->n_tensors; ++i)
    w.data[i] = NULL;
  attnc_kernel_ctx ctx;
  if ((s = take_dims(sig, dims, w.dims)) == ATTNC_OK &&
      (s = run_checks(sig, w.dims)) == ATTNC_OK &&
      (s = shapes_from_dims(sig, &w, 0)) == ATTNC_OK &&
      (s = attnc_ctx_init(&ctx, 1)) == ATTNC_OK) {
    put_args(sig, &w, &ctx);
    ctx.plan_only = 1;
    entry(w.args);
    /* A buffer whose size overflows fails the request: no plan then. */
    s = ctx.failure;
    *bytes = (size_t)ctx.planned_bytes;
    attnc_ctx_destroy(&ctx);
  }
  free(w.block);
  return s;
}

size_t attnc_model_workspace_bytes(const int64_t *sig_words, const char *strings,
                                   attnc_entry_fn entry, const int64_t *dims) {
  attnc_sig sig;
  size_t bytes = 0;
  if (begin_call(sig_words, strings, &sig) != ATTNC_OK ||
      plan_workspace(&sig, entry, dims, &bytes) != ATTNC_OK)
    return SIZE_MAX;
  return bytes;
}
