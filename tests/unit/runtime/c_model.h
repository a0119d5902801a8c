/*===- c_model.h - A hand-written stand-in for a generated MODEL.h --------===*
 *
 * model demo { dim N, K = 3  input x: f32[N, K]  param s: f32  output y = x * s }
 *
 *===----------------------------------------------------------------------===*/
#ifndef ATTNC_TESTS_UNIT_RUNTIME_C_MODEL_H
#define ATTNC_TESTS_UNIT_RUNTIME_C_MODEL_H

#include <attnc/runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct demo_dims { int64_t N; } demo_dims;
typedef struct demo_inputs { const float *x; } demo_inputs;
typedef struct demo_params { const float *s; } demo_params;
typedef struct demo_outputs { float *y; } demo_outputs;

attnc_status demo_run(const demo_dims *dims, const demo_inputs *in, const demo_params *params,
                      demo_outputs *out, const attnc_exec *exec);
attnc_status demo_run_tensors(const attnc_tensor *inputs, size_t n_inputs,
                              const attnc_tensor *params, size_t n_params,
                              attnc_tensor *outputs, size_t n_outputs, const attnc_exec *exec);
size_t demo_output_elements(const demo_dims *dims, int index);

#ifdef __cplusplus
}
#endif

#endif
