/* luong_main.c: one decoder step with each of the three models of luong.attn.
 *
 *   attnc examples/luong.attn -o luong.o       # one object, one header, three models
 *   cc -O2 examples/luong_main.c luong.o -I. -I<attnc>/include -L<attnc>/lib \
 *      -lattnc_runtime -lpthread -lm -ldl -o luong
 *   ./luong [B=3] [T=11]
 */
#include "luong.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t B = dim_arg(argc, argv, "B", 3), T = dim_arg(argc, argv, "T", 11);
  const int64_t E = 64, A = 64; /* fixed in luong.attn */
  const float scale = 1.0f / sqrtf((float)E);

  float *h = random_floats((size_t)(B * E), 1, 1.0f);
  float *enc = random_floats((size_t)(B * T * E), 2, 1.0f);
  float *w_a_general = random_floats((size_t)(E * E), 3, scale);
  float *w_a_concat = random_floats((size_t)(2 * E * A), 4, scale);
  float *v_a = random_floats((size_t)A, 5, 1.0f / sqrtf((float)A));
  float *w_c = random_floats((size_t)(2 * E * E), 6, scale);

  /* The three models share their dims and inputs; outputs 0 and 1 are
   * context [B, E] and h_tilde [B, E]. */
  luong_dot_dims dims = {.B = B, .T = T};
  const int64_t shape[] = {B, E};
  size_t n = luong_dot_output_elements(&dims, 0);
  float *context = output_floats(n, "context");
  float *h_tilde = output_floats(n, "h_tilde");

  {
    luong_dot_inputs in = {.h = h, .enc = enc};
    luong_dot_params params = {.w_c = w_c};
    luong_dot_outputs out = {.context = context, .h_tilde = h_tilde};
    check(luong_dot_run(&dims, &in, &params, &out, NULL), "luong_dot_run");
    report("luong_dot.context", context, n, 2, shape);
    report("luong_dot.h_tilde", h_tilde, n, 2, shape);
  }
  {
    luong_general_dims gdims = {.B = B, .T = T};
    luong_general_inputs in = {.h = h, .enc = enc};
    luong_general_params params = {.w_a = w_a_general, .w_c = w_c};
    luong_general_outputs out = {.context = context, .h_tilde = h_tilde};
    check(luong_general_run(&gdims, &in, &params, &out, NULL), "luong_general_run");
    report("luong_general.context", context, n, 2, shape);
    report("luong_general.h_tilde", h_tilde, n, 2, shape);
  }
  {
    luong_concat_dims cdims = {.B = B, .T = T};
    luong_concat_inputs in = {.h = h, .enc = enc};
    luong_concat_params params = {.w_a = w_a_concat, .v_a = v_a, .w_c = w_c};
    luong_concat_outputs out = {.context = context, .h_tilde = h_tilde};
    check(luong_concat_run(&cdims, &in, &params, &out, NULL), "luong_concat_run");
    report("luong_concat.context", context, n, 2, shape);
    report("luong_concat.h_tilde", h_tilde, n, 2, shape);
  }

  free(h);
  free(enc);
  free(w_a_general);
  free(w_a_concat);
  free(v_a);
  free(w_c);
  free(context);
  free(h_tilde);
  return 0;
}
