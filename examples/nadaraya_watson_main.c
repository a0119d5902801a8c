/* nadaraya_watson_main.c: runs nadaraya_watson.attn.
 *
 *   attnc examples/nadaraya_watson.attn -o nadaraya_watson.o
 *   cc -O2 examples/nadaraya_watson_main.c nadaraya_watson.o -I. -I<attnc>/include \
 *      -L<attnc>/lib -lattnc_runtime -lpthread -lm -ldl -o nadaraya_watson
 *   ./nadaraya_watson [B=2] [Q=13] [N=50]
 */
#include "nadaraya_watson.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t B = dim_arg(argc, argv, "B", 2), Q = dim_arg(argc, argv, "Q", 13);
  const int64_t N = dim_arg(argc, argv, "N", 50);
  const int64_t D = 4; /* fixed in nadaraya_watson.attn */

  float *x = random_floats((size_t)(B * Q * D), 1, 1.0f);
  float *xs = random_floats((size_t)(B * N * D), 2, 1.0f);
  float *ys = random_floats((size_t)(B * N), 3, 1.0f);

  nadaraya_watson_dims dims = {.B = B, .Q = Q, .N = N};
  nadaraya_watson_inputs in = {.x = x, .xs = xs, .ys = ys};
  size_t n_f = nadaraya_watson_output_elements(&dims, 0);
  nadaraya_watson_outputs out = {.f = output_floats(n_f, "f")};

  /* No params: NULL. No exec options: NULL means defaults. */
  check(nadaraya_watson_run(&dims, &in, NULL, &out, NULL), "nadaraya_watson_run");
  /* Each estimate is a convex combination of the sample values, in [-1, 1). */
  report("f", out.f, n_f, 2, (const int64_t[]){B, Q});

  free(x);
  free(xs);
  free(ys);
  free(out.f);
  return 0;
}
