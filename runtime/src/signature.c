/*===- signature.c - Decoding model signatures, dim expressions -----------===*
 *
 * The signature layout is specified in docs/internals/abi.md. It comes from
 * the compiler, not from the user, so a defect in it is ATTNC_ERR_INTERNAL;
 * it is still validated completely before use, so that a stale or corrupt
 * object fails with a message instead of reading out of bounds.
 *
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *attnc_dtype_name(int dtype) {
  switch (dtype) {
  case ATTNC_F32:
    return "f32";
  case ATTNC_F16:
    return "f16";
  case ATTNC_BF16:
    return "bf16";
  case ATTNC_I32:
    return "i32";
  case ATTNC_I64:
    return "i64";
  case ATTNC_F64:
    return "f64";
  }
  return NULL;
}

int64_t attnc_dtype_size(int dtype) {
  switch (dtype) {
  case ATTNC_F32:
  case ATTNC_I32:
    return 4;
  case ATTNC_F16:
  case ATTNC_BF16:
    return 2;
  case ATTNC_I64:
  case ATTNC_F64:
    return 8;
  }
  return 0;
}

/*===----------------------------------------------------------------------===*
 * Validation
 *===----------------------------------------------------------------------===*/

static int count_ok(int64_t n) { return n >= 0 && n < ATTNC_SIG_MAX_COUNT; }

/* Checks one expression (its token count at p[0]) over n_dims dims; on
 * success stores the word after it in *next. `what` names it for the
 * message. */
static attnc_status validate_expr(const attnc_sig *sig, const int64_t *p, const char *what,
                                  const int64_t **next) {
  int64_t n = p[0];
  if (n < 1 || n >= ATTNC_SIG_MAX_COUNT)
    return attnc_fail(ATTNC_ERR_INTERNAL, "model signature: %s has %" PRId64 " tokens", what,
                      n);
  const int64_t *t = p + 1;
  int64_t depth = 0;
  for (int64_t i = 0; i < n; ++i) {
    switch (t[i]) {
    case ATTNC_TOK_CONST:
    case ATTNC_TOK_DIM:
      if (i + 1 >= n)
        return attnc_fail(ATTNC_ERR_INTERNAL, "model signature: %s ends inside a token",
                          what);
      if (t[i] == ATTNC_TOK_DIM && (t[i + 1] < 0 || t[i + 1] >= sig->n_dims))
        return attnc_fail(ATTNC_ERR_INTERNAL,
                          "model signature: %s uses dim %" PRId64 " of %" PRId64, what,
                          t[i + 1], sig->n_dims);
      ++i;
      if (++depth > ATTNC_EXPR_MAX_DEPTH)
        return attnc_fail(ATTNC_ERR_INTERNAL,
                          "model signature: %s needs a stack deeper than %d", what,
                          ATTNC_EXPR_MAX_DEPTH);
      break;
    case ATTNC_TOK_ADD:
    case ATTNC_TOK_SUB:
    case ATTNC_TOK_MUL:
    case ATTNC_TOK_DIV:
      if (depth < 2)
        return attnc_fail(ATTNC_ERR_INTERNAL,
                          "model signature: %s applies an operator to too few operands",
                          what);
      --depth;
      break;
    default:
      return attnc_fail(ATTNC_ERR_INTERNAL, "model signature: %s has unknown token %" PRId64,
                        what, t[i]);
    }
  }
  if (depth != 1)
    return attnc_fail(ATTNC_ERR_INTERNAL,
                      "model signature: %s leaves %" PRId64 " values instead of 1", what,
                      depth);
  *next = t + n;
  return ATTNC_OK;
}

static const char *role_of(const attnc_sig *sig, int64_t tensor) {
  if (tensor < sig->n_inputs)
    return "input";
  if (tensor < sig->n_inputs + sig->n_params)
    return "param";
  return "output";
}

attnc_status attnc_sig_decode(const int64_t *words, const char *strings, attnc_sig *sig) {
  memset(sig, 0, sizeof *sig);
  if (!words || !strings)
    return attnc_fail(ATTNC_ERR_INTERNAL, "model signature or strings are NULL");
  if (words[0] != ATTNC_SIG_MAGIC)
    return attnc_fail(ATTNC_ERR_INTERNAL,
                      "not an attnc model signature (magic 0x%" PRIx64 ", expected 0x%" PRIx64
                      ")",
                      (uint64_t)words[0], (uint64_t)ATTNC_SIG_MAGIC);
  if (words[1] != ATTNC_SIG_VERSION)
    return attnc_fail(ATTNC_ERR_INTERNAL,
                      "model signature version %" PRId64
                      " is not supported by this runtime (version %d); rebuild the model",
                      words[1], ATTNC_SIG_VERSION);
  if (words[2] < 0)
    return attnc_fail(ATTNC_ERR_INTERNAL, "model signature: bad name offset %" PRId64,
                      words[2]);
  sig->words = words;
  sig->strings = strings;
  sig->name = strings + words[2];

  sig->n_dims = words[3];
  if (!count_ok(sig->n_dims))
    return attnc_fail(ATTNC_ERR_INTERNAL, "model signature: bad dim count %" PRId64,
                      sig->n_dims);
  for (int64_t d = 0; d < sig->n_dims; ++d) {
    int64_t name = words[4 + 2 * d], fixed = words[5 + 2 * d];
    if (name < 0 || fixed < -1)
      return attnc_fail(ATTNC_ERR_INTERNAL, "model signature: dim %" PRId64 " is malformed",
                        d);
    if (fixed == -1)
      ++sig->n_symbolic;
  }

  const int64_t *p = words + 4 + 2 * sig->n_dims;
  sig->n_inputs = p[0];
  sig->n_params = p[1];
  sig->n_outputs = p[2];
  if (!count_ok(sig->n_inputs) || !count_ok(sig->n_params) || !count_ok(sig->n_outputs))
    return attnc_fail(ATTNC_ERR_INTERNAL, "model signature: bad tensor counts");
  sig->n_tensors = sig->n_inputs + sig->n_params + sig->n_outputs;
  p += 3;
  sig->first_tensor = p;

  for (int64_t i = 0; i < sig->n_tensors; ++i) {
    int64_t name = p[0], dtype = p[1], rank = p[2];
    if (name < 0 || dtype < ATTNC_F32 || dtype > ATTNC_I64 || !count_ok(rank))
      return attnc_fail(ATTNC_ERR_INTERNAL,
                        "model signature: tensor %" PRId64 " (%s) is malformed", i,
                        role_of(sig, i));
    sig->total_rank += rank;
    if (sig->total_rank >= ATTNC_SIG_MAX_COUNT)
      return attnc_fail(ATTNC_ERR_INTERNAL, "model signature: too many axes");
    p += 3;
    for (int64_t a = 0; a < rank; ++a) {
      char what[96];
      snprintf(what, sizeof what, "%s '%s' axis %" PRId64, role_of(sig, i), strings + name, a);
      attnc_status s = validate_expr(sig, p, what, &p);
      if (s != ATTNC_OK)
        return s;
    }
  }

  sig->n_checks = p[0];
  if (!count_ok(sig->n_checks))
    return attnc_fail(ATTNC_ERR_INTERNAL, "model signature: bad check count %" PRId64,
                      sig->n_checks);
  ++p;
  sig->first_check = p;
  for (int64_t c = 0; c < sig->n_checks; ++c) {
    char what[32];
    snprintf(what, sizeof what, "check %" PRId64, c);
    attnc_status s = validate_expr(sig, p, what, &p);
    if (s != ATTNC_OK)
      return s;
  }
  return ATTNC_OK;
}

const char *attnc_sig_dim_name(const attnc_sig *sig, int64_t dim) {
  return sig->strings + sig->words[4 + 2 * dim];
}

int64_t attnc_sig_dim_fixed(const attnc_sig *sig, int64_t dim) {
  return sig->words[5 + 2 * dim];
}

attnc_expr attnc_expr_at(const int64_t *p) {
  attnc_expr e = {p + 1, p[0]};
  return e;
}

const int64_t *attnc_expr_next(const int64_t *p) { return p + 1 + p[0]; }

/* Reads the tensor whose name word is at p; returns the word after it. */
static const int64_t *read_tensor(const attnc_sig *sig, const int64_t *p, int64_t index,
                                  attnc_sig_tensor *t) {
  t->name = sig->strings + p[0];
  t->role = role_of(sig, index);
  t->dtype = (attnc_dtype)p[1];
  t->rank = (int32_t)p[2];
  p += 3;
  t->first_axis = p;
  for (int32_t a = 0; a < t->rank; ++a)
    p = attnc_expr_next(p);
  return p;
}

void attnc_sig_tensors(const attnc_sig *sig, attnc_sig_tensor *table) {
  const int64_t *p = sig->first_tensor;
  for (int64_t i = 0; i < sig->n_tensors; ++i)
    p = read_tensor(sig, p, i, &table[i]);
}

attnc_sig_tensor attnc_sig_tensor_at(const attnc_sig *sig, int64_t index) {
  attnc_sig_tensor t;
  const int64_t *p = sig->first_tensor;
  for (int64_t i = 0; i <= index; ++i)
    p = read_tensor(sig, p, i, &t);
  return t;
}

/*===----------------------------------------------------------------------===*
 * Evaluation
 *===----------------------------------------------------------------------===*/

int64_t attnc_expr_single_dim(attnc_expr e) {
  return e.n == 2 && e.tokens[0] == ATTNC_TOK_DIM ? e.tokens[1] : -1;
}

attnc_eval_result attnc_expr_eval(attnc_expr e, const int64_t *dims) {
  attnc_eval_result r = {ATTNC_EVAL_OK, 0, 0, 0};
  int64_t stack[ATTNC_EXPR_MAX_DEPTH];
  int depth = 0;
  for (int64_t i = 0; i < e.n; ++i) {
    int64_t tok = e.tokens[i];
    if (tok == ATTNC_TOK_CONST || tok == ATTNC_TOK_DIM) {
      int64_t operand = e.tokens[++i];
      stack[depth++] = tok == ATTNC_TOK_CONST ? operand : dims[operand];
      continue;
    }
    int64_t rhs = stack[--depth], lhs = stack[depth - 1], *out = &stack[depth - 1];
    int overflow = 0;
    switch (tok) {
    case ATTNC_TOK_ADD:
      overflow = __builtin_add_overflow(lhs, rhs, out);
      break;
    case ATTNC_TOK_SUB:
      overflow = __builtin_sub_overflow(lhs, rhs, out);
      break;
    case ATTNC_TOK_MUL:
      overflow = __builtin_mul_overflow(lhs, rhs, out);
      break;
    default: /* ATTNC_TOK_DIV */
      r.lhs = lhs;
      r.rhs = rhs;
      if (rhs == 0) {
        r.error = ATTNC_EVAL_DIV_BY_ZERO;
        return r;
      }
      if (lhs == INT64_MIN && rhs == -1) {
        overflow = 1;
        break;
      }
      if (lhs % rhs != 0) {
        r.error = ATTNC_EVAL_INEXACT;
        return r;
      }
      *out = lhs / rhs;
      break;
    }
    if (overflow) {
      r.error = ATTNC_EVAL_OVERFLOW;
      return r;
    }
  }
  r.value = stack[0];
  /* Intermediate values may be negative (a canonical polynomial can
   * subtract before it adds); only the extent itself must not be. */
  if (r.value < 0)
    r.error = ATTNC_EVAL_NEGATIVE;
  return r;
}

void attnc_eval_describe(attnc_eval_result r, char *buf, size_t size) {
  switch (r.error) {
  case ATTNC_EVAL_OK:
    snprintf(buf, size, "is %" PRId64, r.value);
    break;
  case ATTNC_EVAL_OVERFLOW:
    snprintf(buf, size, "overflows int64");
    break;
  case ATTNC_EVAL_DIV_BY_ZERO:
    snprintf(buf, size, "divides %" PRId64 " by zero", r.lhs);
    break;
  case ATTNC_EVAL_INEXACT:
    snprintf(buf, size, "does not divide exactly: %" PRId64 " is not a multiple of %" PRId64,
             r.lhs, r.rhs);
    break;
  case ATTNC_EVAL_NEGATIVE:
    snprintf(buf, size, "is negative (%" PRId64 ")", r.value);
    break;
  }
}

/*===----------------------------------------------------------------------===*
 * Formatting
 *===----------------------------------------------------------------------===*/

/* Expressions in messages are short; a longer one is summarised. */
#define FORMAT_MAX_NODES 128

typedef struct expr_node {
  int64_t tok, operand; /* operand: the constant or dim of a leaf */
  int lhs, rhs;         /* children of an operator */
} expr_node;

typedef struct text {
  char *buf;
  size_t size, len;
} text;

static void text_put(text *t, const char *s) {
  size_t n = strlen(s);
  if (t->len + 1 >= t->size)
    return;
  size_t room = t->size - 1 - t->len;
  if (n > room)
    n = room;
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

static int precedence(int64_t tok) {
  return tok == ATTNC_TOK_ADD || tok == ATTNC_TOK_SUB   ? 1
         : tok == ATTNC_TOK_MUL || tok == ATTNC_TOK_DIV ? 2
                                                        : 3;
}

static void format_node(const attnc_sig *sig, const expr_node *nodes, int i, text *t) {
  const expr_node *n = &nodes[i];
  if (n->tok == ATTNC_TOK_DIM) {
    text_put(t, attnc_sig_dim_name(sig, n->operand));
    return;
  }
  if (n->tok == ATTNC_TOK_CONST) {
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, n->operand);
    text_put(t, num);
    return;
  }
  static const char *const ops[] = {"", "", " + ", " - ", " * ", " / "};
  int prec = precedence(n->tok);
  /* Both sides are left-associative: the right operand needs parentheses at
   * equal precedence too ("A - (B + C)"). */
  int paren_l = precedence(nodes[n->lhs].tok) < prec;
  int paren_r = precedence(nodes[n->rhs].tok) <= prec && precedence(nodes[n->rhs].tok) < 3;
  text_put(t, paren_l ? "(" : "");
  format_node(sig, nodes, n->lhs, t);
  text_put(t, paren_l ? ")" : "");
  text_put(t, ops[n->tok]);
  text_put(t, paren_r ? "(" : "");
  format_node(sig, nodes, n->rhs, t);
  text_put(t, paren_r ? ")" : "");
}

char *attnc_expr_format(const attnc_sig *sig, attnc_expr e, char *buf, size_t size) {
  if (size == 0)
    return buf;
  buf[0] = '\0';
  text t = {buf, size, 0};
  expr_node nodes[FORMAT_MAX_NODES];
  int stack[FORMAT_MAX_NODES];
  int n_nodes = 0, depth = 0;
  for (int64_t i = 0; i < e.n; ++i) {
    if (n_nodes == FORMAT_MAX_NODES) {
      snprintf(buf, size, "<expression of %" PRId64 " tokens>", e.n);
      return buf;
    }
    expr_node *n = &nodes[n_nodes];
    n->tok = e.tokens[i];
    if (n->tok == ATTNC_TOK_CONST || n->tok == ATTNC_TOK_DIM) {
      n->operand = e.tokens[++i];
    } else {
      n->rhs = stack[--depth];
      n->lhs = stack[--depth];
    }
    stack[depth++] = n_nodes++;
  }
  format_node(sig, nodes, stack[0], &t);
  return buf;
}

char *attnc_format_shape(const int64_t *v, int32_t n, char *buf, size_t size) {
  size_t len = (size_t)snprintf(buf, size, "[");
  for (int32_t i = 0; i < n && len < size; ++i)
    len += (size_t)snprintf(buf + len, size - len, "%s%" PRId64, i ? ", " : "", v[i]);
  if (len < size)
    snprintf(buf + len, size - len, "]");
  else if (size > 4)
    memcpy(buf + size - 4, "...", 4);
  return buf;
}

char *attnc_format_dim_values(const attnc_sig *sig, const int64_t *dims, char *buf,
                              size_t size) {
  size_t len = 0;
  buf[0] = '\0';
  for (int64_t d = 0; d < sig->n_dims && len < size; ++d)
    if (attnc_sig_dim_fixed(sig, d) < 0)
      len += (size_t)snprintf(buf + len, size - len, "%s%s = %" PRId64, len ? ", " : "",
                              attnc_sig_dim_name(sig, d), dims[d]);
  return buf;
}
