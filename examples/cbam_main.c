/* cbam_main.c: runs cbam.attn, channel then spatial attention on a feature map.
 *
 *   attnc examples/cbam.attn -o cbam.o
 *   cc -O2 examples/cbam_main.c cbam.o -I. -I<attnc>/include -L<attnc>/lib \
 *      -lattnc_runtime -lpthread -lm -ldl -o cbam
 *   ./cbam [N=2] [H=7] [W=9]
 */
#include "cbam.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t N = dim_arg(argc, argv, "N", 2), H = dim_arg(argc, argv, "H", 7);
  const int64_t W = dim_arg(argc, argv, "W", 9);
  const int64_t C = 64, CR = 64 / 16; /* fixed in cbam.attn: C and C / R */

  float *fmap = random_floats((size_t)(N * C * H * W), 1, 1.0f);
  float *w0 = random_floats((size_t)(C * CR), 2, 1.0f / sqrtf((float)C));
  float *b0 = random_floats((size_t)CR, 3, 0.1f);
  float *w1 = random_floats((size_t)(CR * C), 4, 1.0f / sqrtf((float)CR));
  float *b1 = random_floats((size_t)C, 5, 0.1f);
  float *kernel = random_floats(2 * 7 * 7, 6, 1.0f / sqrtf(2 * 7 * 7));

  cbam_dims dims = {.N = N, .H = H, .W = W};
  cbam_inputs in = {.fmap = fmap};
  cbam_params params = {.w0 = w0, .b0 = b0, .w1 = w1, .b1 = b1, .kernel = kernel};
  size_t n_out = cbam_output_elements(&dims, 0);
  cbam_outputs out = {.out = output_floats(n_out, "out")};

  check(cbam_run(&dims, &in, &params, &out, NULL), "cbam_run");
  /* Two gates in (0, 1) per element: |out| <= |fmap| elementwise. */
  report("out", out.out, n_out, 4, (const int64_t[]){N, C, H, W});

  free(fmap);
  free(w0);
  free(b0);
  free(w1);
  free(b1);
  free(kernel);
  free(out.out);
  return 0;
}
