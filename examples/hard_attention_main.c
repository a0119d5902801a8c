/* hard_attention_main.c: runs the two models of hard_attention.attn.
 *
 *   attnc examples/hard_attention.attn -o hard_attention.o
 *   cc -O2 examples/hard_attention_main.c hard_attention.o -I. -I<attnc>/include \
 *      -L<attnc>/lib -lattnc_runtime -lpthread -lm -ldl -o hard_attention
 *   ./hard_attention [B=2] [S=17] [T=29]
 */
#include "hard_attention.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t B = dim_arg(argc, argv, "B", 2), S = dim_arg(argc, argv, "S", 17);
  const int64_t T = dim_arg(argc, argv, "T", 29);
  const int64_t D = 64; /* fixed in hard_attention.attn */

  float *q = random_floats((size_t)(B * S * D), 1, 1.0f);
  float *k = random_floats((size_t)(B * T * D), 2, 1.0f);
  float *v = random_floats((size_t)(B * T * D), 3, 1.0f);
  const int64_t o_shape[] = {B, S, D};

  /* K = 1: every output row is a copy of one row of v. */
  hard_attention_dims dims = {.B = B, .S = S, .T = T};
  hard_attention_inputs in = {.q = q, .k = k, .v = v};
  size_t n_o = hard_attention_output_elements(&dims, 0);
  hard_attention_outputs out = {.o = output_floats(n_o, "o")};
  check(hard_attention_run(&dims, &in, NULL, &out, NULL), "hard_attention_run");
  report("hard_attention.o", out.o, n_o, 3, o_shape);

  /* K = 8: a softmax over the 8 best keys of each query (all of them if T <= 8). */
  topk_attention_dims tdims = {.B = B, .S = S, .T = T};
  topk_attention_inputs tin = {.q = q, .k = k, .v = v};
  topk_attention_outputs tout = {.o = output_floats(n_o, "o")};
  check(topk_attention_run(&tdims, &tin, NULL, &tout, NULL), "topk_attention_run");
  report("topk_attention.o", tout.o, n_o, 3, o_shape);

  free(q);
  free(k);
  free(v);
  free(out.o);
  free(tout.o);
  return 0;
}
