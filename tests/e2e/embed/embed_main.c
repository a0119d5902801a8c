/* e2e.embed: the params of affine.attn are embedded in the object
 * (--embed-weights, W = [[0.5, -1], [0.25, 2], [1, 0]] stored as f32 in the
 * file and bf16 in the model, b = [0.5, -0.5]). Calls that pass no params
 * use them; calls that pass params use those. Every value below is exact
 * in binary, so results are compared exactly with products worked out by
 * hand. */
#include "affine.h"

#include <stdio.h>
#include <string.h>

static int failures = 0;

static void expect(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "FAILED: %s (%s)\n", what, attnc_last_error());
    ++failures;
  }
}

int main(void) {
  /* x = [[1, 2, 3], [4, 5, 6]]: x @ W + b = [[4.5, 2.5], [9.75, 5.5]]. */
  const float x[6] = {1, 2, 3, 4, 5, 6}, want[4] = {4.5f, 2.5f, 9.75f, 5.5f};
  float y[4];
  affine_dims dims = {2};
  affine_inputs in = {x};
  affine_outputs out = {y};

  memset(y, 0, sizeof y);
  expect(affine_run(&dims, &in, NULL, &out, NULL) == ATTNC_OK, "affine_run with NULL params");
  expect(memcmp(y, want, sizeof y) == 0, "affine_run's result");

  int64_t xShape[2] = {2, 3}, yShape[2] = {2, 2};
  attnc_tensor xt = {(void *)x, ATTNC_F32, 2, xShape, NULL}, yt = {y, ATTNC_F32, 2, yShape, NULL};
  memset(y, 0, sizeof y);
  expect(affine_run_tensors(&xt, 1, NULL, 0, &yt, 1, NULL) == ATTNC_OK,
         "affine_run_tensors with no params");
  expect(memcmp(y, want, sizeof y) == 0, "affine_run_tensors' result");

  affine_dims inferred = {-1};
  expect(affine_infer_dims(&xt, 1, NULL, 0, &inferred) == ATTNC_OK && inferred.N == 2,
         "affine_infer_dims with no params");

  /* The caller's own params win: W' = 0 (bf16 zeros), b' = [1, 2]. */
  const uint16_t zeros[6] = {0};
  const float bias[2] = {1, 2};
  affine_params own = {zeros, bias};
  expect(affine_run(&dims, &in, &own, &out, NULL) == ATTNC_OK, "affine_run with params");
  expect(y[0] == 1 && y[1] == 2 && y[2] == 1 && y[3] == 2, "the caller's params are used");

  /* I is fixed at 3 by the file: a 4-column x is a shape error. */
  int64_t wide[2] = {2, 4};
  float x4[8] = {0};
  attnc_tensor x4t = {x4, ATTNC_F32, 2, wide, NULL};
  expect(affine_run_tensors(&x4t, 1, NULL, 0, &yt, 1, NULL) == ATTNC_ERR_SHAPE_MISMATCH &&
             strstr(attnc_last_error(), "input 'x': axis 1 is 4, expected 3"),
         "a shape the embedded weights exclude");

  if (failures == 0)
    printf("embedded weights: ok\n");
  return failures != 0;
}
