/*===- load_params.c - Filling a model's params from a weights file -------===*
 *
 * NAME_load_params: each param of the signature takes the tensor of the
 * weights that attnc_weights_lookup's rule names, after its rank, extents and
 * dtype have been checked against the declaration. A param in another
 * float type than the file's gets a converted copy that the weights own. The
 * caller's struct is written only when every param has been found.
 *
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether the expression reads dim d. */
static int reads_dim(attnc_expr e, int64_t d) {
  for (int64_t i = 0; i < e.n; ++i) {
    if (e.tokens[i] == ATTNC_TOK_DIM && e.tokens[i + 1] == d)
      return 1;
    if (e.tokens[i] == ATTNC_TOK_CONST || e.tokens[i] == ATTNC_TOK_DIM)
      ++i; /* skip the operand */
  }
  return 0;
}

/* Whether every dim the expression reads has a value (>= 0). */
static int known(const attnc_sig *sig, attnc_expr e, const int64_t *dims) {
  for (int64_t d = 0; d < sig->n_dims; ++d)
    if (dims[d] < 0 && reads_dim(e, d))
      return 0;
  return 1;
}

/* "param 'w' is f32[S, E] (S = 3, E = 4), but 'w' in FILE has shape [3, 5]":
 * the declared type, the values of the dims it reads, the file's shape. */
static attnc_status mismatch(const attnc_sig *sig, const attnc_sig_tensor *t,
                             const attnc_weights *w, size_t entry, const int64_t *dims) {
  char type[ATTNC_PIECE], values[ATTNC_PIECE] = "", shape[ATTNC_PIECE];
  size_t at = (size_t)snprintf(type, sizeof type, "%s[", attnc_dtype_name(t->dtype)), n = 0;
  const int64_t *p = t->first_axis;
  for (int32_t a = 0; a < t->rank && at < sizeof type; ++a, p = attnc_expr_next(p)) {
    char piece[ATTNC_PIECE];
    at += (size_t)snprintf(type + at, sizeof type - at, "%s%s", a ? ", " : "",
                           attnc_expr_format(sig, attnc_expr_at(p), piece, sizeof piece));
  }
  if (at < sizeof type)
    snprintf(type + at, sizeof type - at, "]");
  for (int64_t d = 0; d < sig->n_dims && n < sizeof values; ++d) {
    int used = 0;
    p = t->first_axis;
    for (int32_t a = 0; a < t->rank && !used; ++a, p = attnc_expr_next(p))
      used = reads_dim(attnc_expr_at(p), d);
    if (used && dims[d] >= 0)
      n += (size_t)snprintf(values + n, sizeof values - n, "%s%s = %" PRId64, n ? ", " : " (",
                            attnc_sig_dim_name(sig, d), dims[d]);
  }
  if (n && n < sizeof values)
    snprintf(values + n, sizeof values - n, ")");
  int32_t rank;
  const int64_t *extents;
  attnc_weights_entry_shape(w, entry, &rank, &extents);
  return attnc_fail(ATTNC_ERR_SHAPE_MISMATCH, "param '%s' is %s%s, but '%s' in %s has shape %s",
                    t->name, type, values, attnc_weights_entry_name(w, entry),
                    attnc_weights_path(w), attnc_format_shape(extents, rank, shape, sizeof shape));
}

/* Checks every param's extents against its tensor: first the symbolic dims
 * the caller did not give are taken from axes that are exactly one dim, then
 * every axis whose dims are all known is compared. */
static attnc_status check_shapes(const attnc_sig *sig, const attnc_weights *w,
                                 const size_t *entries, int64_t *dims) {
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t k = 0; k < sig->n_params; ++k) {
      attnc_sig_tensor t = attnc_sig_tensor_at(sig, sig->n_inputs + k);
      int32_t rank;
      const int64_t *extents;
      attnc_weights_entry_shape(w, entries[k], &rank, &extents);
      if (rank != t.rank)
        return mismatch(sig, &t, w, entries[k], dims);
      const int64_t *p = t.first_axis;
      for (int32_t a = 0; a < t.rank; ++a, p = attnc_expr_next(p)) {
        attnc_expr e = attnc_expr_at(p);
        int64_t d = attnc_expr_single_dim(e);
        if (pass == 0) {
          if (d >= 0 && dims[d] < 0)
            dims[d] = extents[a];
          continue;
        }
        if (!known(sig, e, dims))
          continue;
        attnc_eval_result r = attnc_expr_eval(e, dims);
        if (r.error != ATTNC_EVAL_OK || r.value != extents[a])
          return mismatch(sig, &t, w, entries[k], dims);
      }
    }
  return ATTNC_OK;
}

attnc_status attnc_model_load_params(const int64_t *sig_words, const char *strings,
                                     attnc_weights *w, const int64_t *user_dims,
                                     const void **params) {
  attnc_clear_error();
  attnc_sig sig;
  attnc_status s = attnc_sig_decode(sig_words, strings, &sig);
  if (s != ATTNC_OK)
    return s;
  if (!w)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "weights is NULL");
  if (sig.n_params == 0)
    return ATTNC_OK;
  if (!params)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "params is NULL, but model '%s' has %" PRId64
                                              " param%s",
                      sig.name, sig.n_params, sig.n_params == 1 ? "" : "s");
  int64_t *dims = malloc((size_t)(sig.n_dims > 0 ? sig.n_dims : 1) * sizeof *dims);
  size_t *entries = malloc((size_t)sig.n_params * sizeof *entries);
  const void **data = malloc((size_t)sig.n_params * sizeof *data);
  if (!dims || !entries || !data) {
    s = attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "no memory to load the params of '%s'", sig.name);
    goto done;
  }
  for (int64_t d = 0, k = 0; d < sig.n_dims; ++d) {
    dims[d] = attnc_sig_dim_fixed(&sig, d);
    if (dims[d] < 0 && user_dims && (dims[d] = user_dims[k++]) < 0) {
      s = attnc_fail(ATTNC_ERR_INVALID_ARGUMENT, "dim %s is %" PRId64 ", must be >= 0",
                     attnc_sig_dim_name(&sig, d), dims[d]);
      goto done;
    }
  }
  for (int64_t k = 0; k < sig.n_params && s == ATTNC_OK; ++k) {
    attnc_sig_tensor t = attnc_sig_tensor_at(&sig, sig.n_inputs + k);
    s = attnc_weights_index_for(w, t.name, &entries[k]);
  }
  if (s == ATTNC_OK)
    s = check_shapes(&sig, w, entries, dims);
  for (int64_t k = 0; k < sig.n_params && s == ATTNC_OK; ++k) {
    attnc_sig_tensor t = attnc_sig_tensor_at(&sig, sig.n_inputs + k);
    char subject[ATTNC_PIECE];
    snprintf(subject, sizeof subject, "param '%s'", t.name);
    s = attnc_weights_convert(w, entries[k], t.dtype, subject, &data[k]);
  }
  if (s == ATTNC_OK)
    memcpy(params, data, (size_t)sig.n_params * sizeof *data);
done:
  free(dims);
  free(entries);
  free(data);
  return s;
}
