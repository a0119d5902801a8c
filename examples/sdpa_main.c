/* sdpa_main.c: runs the two models of sdpa.attn.
 *
 *   attnc examples/sdpa.attn -o sdpa.o          # writes sdpa.o and sdpa.h
 *   cc -O2 examples/sdpa_main.c sdpa.o -I. -I<attnc>/include -L<attnc>/lib \
 *      -lattnc_runtime -lpthread -lm -ldl -o sdpa
 *   ./sdpa [B=2] [H=3] [S=17] [T=29]
 *
 * `sdpa` is called through the typed entry point sdpa_run; `sdpa_padded`
 * through the generic one, sdpa_padded_run_tensors, where shapes travel with
 * the tensors and the symbolic dims are inferred from them.
 */
#include "sdpa.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t B = dim_arg(argc, argv, "B", 2), H = dim_arg(argc, argv, "H", 3);
  const int64_t S = dim_arg(argc, argv, "S", 17), T = dim_arg(argc, argv, "T", 29);
  const int64_t D = 64; /* fixed in sdpa.attn */

  float *q = random_floats((size_t)(B * H * S * D), 1, 1.0f);
  float *k = random_floats((size_t)(B * H * T * D), 2, 1.0f);
  float *v = random_floats((size_t)(B * H * T * D), 3, 1.0f);
  attnc_exec exec = {.struct_size = sizeof exec, .num_threads = 0 /* all cores */};

  /* 1. sdpa through the typed structs. The model has no params: NULL. */
  sdpa_dims dims = {.B = B, .H = H, .S = S, .T = T};
  sdpa_inputs in = {.q = q, .k = k, .v = v};
  size_t n_o = sdpa_output_elements(&dims, 0);
  sdpa_outputs out = {.o = output_floats(n_o, "o")};
  check(sdpa_run(&dims, &in, NULL, &out, &exec), "sdpa_run");
  report("sdpa.o", out.o, n_o, 4, (const int64_t[]){B, H, S, D});

  /* 2. sdpa_padded through tensor descriptions: sequence b has kv_len[b] real
   * keys (between 0 and T; a sequence with none yields zeros). */
  int32_t *kv_len = malloc((size_t)B * sizeof *kv_len);
  for (int64_t b = 0; b < B; ++b)
    kv_len[b] = (int32_t)(T * (b + 1) / B);
  const int64_t q_shape[] = {B, H, S, D}, kv_shape[] = {B, H, T, D}, len_shape[] = {B};
  attnc_tensor inputs[] = {
      {.data = q, .dtype = ATTNC_F32, .rank = 4, .shape = q_shape},
      {.data = k, .dtype = ATTNC_F32, .rank = 4, .shape = kv_shape},
      {.data = v, .dtype = ATTNC_F32, .rank = 4, .shape = kv_shape},
      {.data = kv_len, .dtype = ATTNC_I32, .rank = 1, .shape = len_shape},
  };
  float *o_padded = output_floats(n_o, "o");
  attnc_tensor outputs[] = {
      {.data = o_padded, .dtype = ATTNC_F32, .rank = 4, .shape = q_shape},
  };
  check(sdpa_padded_run_tensors(inputs, 4, NULL, 0, outputs, 1, &exec),
        "sdpa_padded_run_tensors");
  report("sdpa_padded.o", o_padded, n_o, 4, q_shape);

  /* The last sequence keeps all T keys, so its rows match sdpa's. */
  if (B > 0) {
    size_t per_batch = (size_t)(H * S * D), last = (size_t)(B - 1) * per_batch;
    printf("last sequence, padded vs unpadded: max |diff| = %.3g\n",
           max_abs_diff(out.o + last, o_padded + last, per_batch));
  }

  free(q);
  free(k);
  free(v);
  free(kv_len);
  free(out.o);
  free(o_padded);
  return 0;
}
