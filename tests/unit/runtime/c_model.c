/*===- c_model.c - A hand-written stand-in for a generated object ---------===*
 *
 * What attnc emits for a model, written in C: the signature, its strings, a
 * kernel entry reading memref descriptors, and the thin public forwarders of
 * docs/internals/abi.md. Compiled as strict C11 to check that the runtime's
 * header serves C callers.
 *
 *===----------------------------------------------------------------------===*/

#include "c_model.h"

static const int64_t demo__signature[] = {
    0x434E5441, 1, 0, /* "ATNC", version 1, name "demo" */
    2,                /* dims: */
    5, -1,            /*   N, symbolic */
    7, 3,             /*   K = 3 */
    1, 1, 1,          /* one input, one param, one output */
    9, ATTNC_F32, 2, 2, 1, 0, 2, 1, 1,  /* x: f32[N, K] */
    11, ATTNC_F32, 0,                   /* s: f32 */
    13, ATTNC_F32, 2, 2, 1, 0, 2, 1, 1, /* y: f32[N, K] */
    0,                                  /* no checks */
};
static const char demo__strings[] = "demo\0N\0K\0x\0s\0y";

typedef struct memref0 {
  void *allocated, *aligned;
  int64_t offset;
} memref0;
typedef struct memref1 {
  void *allocated, *aligned;
  int64_t offset, sizes[1], strides[1];
} memref1;
typedef struct memref2 {
  void *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} memref2;

typedef struct scale_rows {
  const float *x;
  float *y;
  float s;
  int64_t row_stride, cols;
} scale_rows;

static void scale_task(void *data, int64_t begin, int64_t end) {
  const scale_rows *r = data;
  for (int64_t i = begin; i < end; ++i)
    for (int64_t j = 0; j < r->cols; ++j)
      r->y[i * r->row_stride + j] = r->x[i * r->row_stride + j] * r->s;
}

static void demo__entry(void **args) {
  attnc_kernel_ctx *ctx = args[0];
  const memref1 *dims = args[1];
  const memref2 *x = args[2];
  const memref0 *s = args[3];
  const memref2 *y = args[4];
  const int64_t *dim_values = dims->aligned;
  scale_rows rows;
  rows.x = x->aligned;
  rows.y = y->aligned;
  rows.s = *(const float *)s->aligned;
  rows.row_stride = x->strides[0];
  rows.cols = dim_values[1]; /* K, fixed, still present in the dims memref */
  attnc_parallel_for(ctx, dim_values[0], 2, scale_task, &rows);
}

attnc_status demo_run(const demo_dims *dims, const demo_inputs *in, const demo_params *params,
                      demo_outputs *out, const attnc_exec *exec) {
  return attnc_model_run(demo__signature, demo__strings, demo__entry, (const int64_t *)dims,
                         (const void *const *)in, (const void *const *)params,
                         (void *const *)out, exec);
}

attnc_status demo_run_tensors(const attnc_tensor *inputs, size_t n_inputs,
                              const attnc_tensor *params, size_t n_params,
                              attnc_tensor *outputs, size_t n_outputs, const attnc_exec *exec) {
  return attnc_model_run_tensors(demo__signature, demo__strings, demo__entry, inputs, n_inputs,
                                 params, n_params, outputs, n_outputs, exec);
}

size_t demo_output_elements(const demo_dims *dims, int index) {
  return attnc_model_output_elements(demo__signature, demo__strings, (const int64_t *)dims,
                                     index);
}
