/* attention_pooling_main.c: runs attention_pooling.attn.
 *
 *   attnc examples/attention_pooling.attn -o attention_pooling.o
 *   cc -O2 examples/attention_pooling_main.c attention_pooling.o -I. -I<attnc>/include \
 *      -L<attnc>/lib -lattnc_runtime -lpthread -lm -ldl -o attention_pooling
 *   ./attention_pooling [Q=50] [N=50]
 */
#include "attention_pooling.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t Q = dim_arg(argc, argv, "Q", 50), N = dim_arg(argc, argv, "N", 50);

  float *x = random_floats((size_t)Q, 1, 1.0f);
  float *xs = random_floats((size_t)N, 2, 1.0f);
  float *ys = random_floats((size_t)N, 3, 1.0f);
  const float w = 4.0f; /* a scalar param is still passed by pointer */

  attention_pooling_dims dims = {.Q = Q, .N = N};
  attention_pooling_inputs in = {.x = x, .xs = xs, .ys = ys};
  attention_pooling_params params = {.w = &w};
  size_t n_f = attention_pooling_output_elements(&dims, 0);
  attention_pooling_outputs out = {.f = output_floats(n_f, "f")};

  check(attention_pooling_run(&dims, &in, &params, &out, NULL), "attention_pooling_run");
  report("f", out.f, n_f, 1, (const int64_t[]){Q});

  free(x);
  free(xs);
  free(ys);
  free(out.f);
  return 0;
}
