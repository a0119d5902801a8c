/* gqa_main.c: runs gqa.attn, grouped-query attention with ALiBi and a
 * sliding window.
 *
 *   attnc examples/gqa.attn -o gqa.o
 *   cc -O2 examples/gqa_main.c gqa.o -I. -I<attnc>/include -L<attnc>/lib \
 *      -lattnc_runtime -lpthread -lm -ldl -o gqa
 *   ./gqa [B=2] [S=37]
 */
#include "gqa.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t B = dim_arg(argc, argv, "B", 2), S = dim_arg(argc, argv, "S", 37);
  const int64_t H = 8, G = 4, D = 32; /* fixed in gqa.attn: 8 query heads, 2 kv heads */
  const int64_t KV = H / G;

  float *q = random_floats((size_t)(B * H * S * D), 1, 1.0f);
  float *k = random_floats((size_t)(B * KV * S * D), 2, 1.0f);
  float *v = random_floats((size_t)(B * KV * S * D), 3, 1.0f);

  gqa_dims dims = {.B = B, .S = S};
  gqa_inputs in = {.q = q, .k = k, .v = v};
  size_t n_o = gqa_output_elements(&dims, 0);
  gqa_outputs out = {.o = output_floats(n_o, "o")};

  check(gqa_run(&dims, &in, NULL, &out, NULL), "gqa_run");
  report("o", out.o, n_o, 4, (const int64_t[]){B, H, S, D});

  free(q);
  free(k);
  free(v);
  free(out.o);
  return 0;
}
