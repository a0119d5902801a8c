/* senet_main.c: runs senet.attn, squeeze-and-excitation on a feature map.
 *
 *   attnc examples/senet.attn -o senet.o
 *   cc -O2 examples/senet_main.c senet.o -I. -I<attnc>/include -L<attnc>/lib \
 *      -lattnc_runtime -lpthread -lm -ldl -o senet
 *   ./senet [N=2] [H=7] [W=9]
 */
#include "senet.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t N = dim_arg(argc, argv, "N", 2), H = dim_arg(argc, argv, "H", 7);
  const int64_t W = dim_arg(argc, argv, "W", 9);
  const int64_t C = 64, CR = 64 / 16; /* fixed in senet.attn: C and C / R */

  float *x = random_floats((size_t)(N * C * H * W), 1, 1.0f);
  float *w1 = random_floats((size_t)(C * CR), 2, 1.0f / sqrtf((float)C));
  float *b1 = random_floats((size_t)CR, 3, 0.1f);
  float *w2 = random_floats((size_t)(CR * C), 4, 1.0f / sqrtf((float)CR));
  float *b2 = random_floats((size_t)C, 5, 0.1f);

  senet_dims dims = {.N = N, .H = H, .W = W};
  senet_inputs in = {.x = x};
  senet_params params = {.w1 = w1, .b1 = b1, .w2 = w2, .b2 = b2};
  size_t n_y = senet_output_elements(&dims, 0);
  senet_outputs out = {.y = output_floats(n_y, "y")};

  check(senet_run(&dims, &in, &params, &out, NULL), "senet_run");
  /* Every channel is scaled by a gate in (0, 1): |y| <= |x| elementwise. */
  report("y", out.y, n_y, 4, (const int64_t[]){N, C, H, W});

  free(x);
  free(w1);
  free(b1);
  free(w2);
  free(b2);
  free(out.y);
  return 0;
}
