/* additive_main.c: runs the two models of additive.attn.
 *
 *   attnc examples/additive.attn -o additive.o
 *   cc -O2 examples/additive_main.c additive.o -I. -I<attnc>/include -L<attnc>/lib \
 *      -lattnc_runtime -lpthread -lm -ldl -o additive
 *   ./additive [B=2] [S=17] [T=29]
 */
#include "additive.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t B = dim_arg(argc, argv, "B", 2), S = dim_arg(argc, argv, "S", 17);
  const int64_t T = dim_arg(argc, argv, "T", 29);
  const int64_t DQ = 32, DK = 48, DV = 40, A = 64; /* fixed in additive.attn */

  float *q = random_floats((size_t)(B * S * DQ), 1, 1.0f);
  float *k = random_floats((size_t)(B * T * DK), 2, 1.0f);
  float *v = random_floats((size_t)(B * T * DV), 3, 1.0f);
  /* Weights scaled by 1/sqrt(fan-in), as a trained network's would roughly be. */
  float *w_q = random_floats((size_t)(DQ * A), 4, 1.0f / sqrtf((float)DQ));
  float *w_k = random_floats((size_t)(DK * A), 5, 1.0f / sqrtf((float)DK));
  float *w_v = random_floats((size_t)A, 6, 1.0f / sqrtf((float)A));

  /* Every sequence has T keys. */
  additive_dims dims = {.B = B, .S = S, .T = T};
  additive_inputs in = {.q = q, .k = k, .v = v};
  additive_params params = {.w_q = w_q, .w_k = w_k, .w_v = w_v};
  size_t n_o = additive_output_elements(&dims, 0);
  additive_outputs out = {.o = output_floats(n_o, "o")};
  check(additive_run(&dims, &in, &params, &out, NULL), "additive_run");
  report("additive.o", out.o, n_o, 3, (const int64_t[]){B, S, DV});

  /* Sequence b has valid_len[b] keys, between 0 and T; the rest is padding. */
  int32_t *valid_len = malloc((size_t)B * sizeof *valid_len);
  for (int64_t b = 0; b < B; ++b)
    valid_len[b] = (int32_t)(T * (b + 1) / B);
  additive_masked_dims mdims = {.B = B, .S = S, .T = T};
  additive_masked_inputs min = {.q = q, .k = k, .v = v, .valid_len = valid_len};
  additive_masked_params mparams = {.w_q = w_q, .w_k = w_k, .w_v = w_v};
  additive_masked_outputs mout = {.o = output_floats(n_o, "o")};
  check(additive_masked_run(&mdims, &min, &mparams, &mout, NULL), "additive_masked_run");
  report("additive_masked.o", mout.o, n_o, 3, (const int64_t[]){B, S, DV});

  free(q);
  free(k);
  free(v);
  free(w_q);
  free(w_k);
  free(w_v);
  free(valid_len);
  free(out.o);
  free(mout.o);
  return 0;
}
