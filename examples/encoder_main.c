/* encoder_main.c: runs encoder.attn, one Transformer encoder block.
 *
 *   attnc examples/encoder.attn -o encoder.o
 *   cc -O2 examples/encoder_main.c encoder.o -I. -I<attnc>/include -L<attnc>/lib \
 *      -lattnc_runtime -lpthread -lm -ldl -o encoder
 *   ./encoder [B=2] [S=37]
 */
#include "encoder.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t B = dim_arg(argc, argv, "B", 2), S = dim_arg(argc, argv, "S", 37);
  const int64_t E = 128, F = 512; /* fixed in encoder.attn */
  const size_t EE = (size_t)(E * E), EF = (size_t)(E * F);
  const float se = 1.0f / sqrtf((float)E), sf = 1.0f / sqrtf((float)F);

  /* Weights in [-1/sqrt(fan-in), 1/sqrt(fan-in)), small biases, and layer
   * norms that start as the identity (gamma = 1, beta = 0). */
  float *x = random_floats((size_t)(B * S * E), 1, 1.0f);
  float *w[] = {
      random_floats(EE, 2, se), random_floats((size_t)E, 3, 0.1f),   /* wq, bq */
      random_floats(EE, 4, se), random_floats((size_t)E, 5, 0.1f),   /* wk, bk */
      random_floats(EE, 6, se), random_floats((size_t)E, 7, 0.1f),   /* wv, bv */
      random_floats(EE, 8, se), random_floats((size_t)E, 9, 0.1f),   /* wo, bo */
      constant_floats((size_t)E, 1.0f), constant_floats((size_t)E, 0.0f),
      random_floats(EF, 10, se), random_floats((size_t)F, 11, 0.1f), /* w1, b1 */
      random_floats(EF, 12, sf), random_floats((size_t)E, 13, 0.1f), /* w2, b2 */
      constant_floats((size_t)E, 1.0f), constant_floats((size_t)E, 0.0f),
  };

  encoder_dims dims = {.B = B, .S = S};
  encoder_inputs in = {.x = x};
  encoder_params params = {
      .wq = w[0], .bq = w[1], .wk = w[2], .bk = w[3],
      .wv = w[4], .bv = w[5], .wo = w[6], .bo = w[7],
      .ln1_gamma = w[8], .ln1_beta = w[9],
      .w1 = w[10], .b1 = w[11], .w2 = w[12], .b2 = w[13],
      .ln2_gamma = w[14], .ln2_beta = w[15],
  };
  size_t n_y = encoder_output_elements(&dims, 0);
  encoder_outputs out = {.y = output_floats(n_y, "y")};

  check(encoder_run(&dims, &in, &params, &out, NULL), "encoder_run");
  /* Each row of y is layer-normalised: with gamma = 1 and beta = 0 it sums
   * to 0 and its squares to E, so sum is ~0 and abs_sum ~0.8 * B * S * E. */
  report("y", out.y, n_y, 3, (const int64_t[]){B, S, E});

  free(x);
  for (size_t i = 0; i < sizeof w / sizeof w[0]; ++i)
    free(w[i]);
  free(out.y);
  return 0;
}
