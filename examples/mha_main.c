/* mha_main.c: runs mha.attn twice, through both entry points, and checks
 * that they agree.
 *
 *   attnc examples/mha.attn -o mha.o
 *   cc -O2 examples/mha_main.c mha.o -I. -I<attnc>/include -L<attnc>/lib \
 *      -lattnc_runtime -lpthread -lm -ldl -o mha
 *   ./mha [B=2] [S=37] [threads=0] [save=DIR]
 *
 * With save=DIR it also writes its inputs and output as .npy files there.
 */
#include "mha.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t B = dim_arg(argc, argv, "B", 2), S = dim_arg(argc, argv, "S", 37);
  const int64_t E = 128; /* fixed in mha.attn, with H = 4 heads */
  const float scale = 1.0f / sqrtf((float)E);

  float *x = random_floats((size_t)(B * S * E), 1, 1.0f);
  float *wq = random_floats((size_t)(E * E), 2, scale);
  float *wk = random_floats((size_t)(E * E), 3, scale);
  float *wv = random_floats((size_t)(E * E), 4, scale);
  float *wo = random_floats((size_t)(E * E), 5, scale);
  attnc_exec exec = {.struct_size = sizeof exec,
                     .num_threads = (int32_t)dim_arg(argc, argv, "threads", 0)};

  /* 1. The typed entry point: dims given, buffers dense and row-major. */
  mha_dims dims = {.B = B, .S = S};
  mha_inputs in = {.x = x};
  mha_params params = {.wq = wq, .wk = wk, .wv = wv, .wo = wo};
  size_t n_y = mha_output_elements(&dims, 0);
  mha_outputs out = {.y = output_floats(n_y, "y")};
  check(mha_run(&dims, &in, &params, &out, &exec), "mha_run");
  const int64_t y_shape[] = {B, S, E};
  report("y", out.y, n_y, 3, y_shape);

  /* 2. The generic entry point: each tensor carries its shape, and the dims
   * B and S are inferred from them (and checked against each other). */
  const int64_t x_shape[] = {B, S, E}, w_shape[] = {E, E};
  const attnc_tensor inputs[] = {
      {.data = x, .dtype = ATTNC_F32, .rank = 3, .shape = x_shape},
  };
  const attnc_tensor weights[] = {
      {.data = wq, .dtype = ATTNC_F32, .rank = 2, .shape = w_shape},
      {.data = wk, .dtype = ATTNC_F32, .rank = 2, .shape = w_shape},
      {.data = wv, .dtype = ATTNC_F32, .rank = 2, .shape = w_shape},
      {.data = wo, .dtype = ATTNC_F32, .rank = 2, .shape = w_shape},
  };
  float *y2 = output_floats(n_y, "y");
  attnc_tensor outputs[] = {
      {.data = y2, .dtype = ATTNC_F32, .rank = 3, .shape = y_shape},
  };
  check(mha_run_tensors(inputs, 1, weights, 4, outputs, 1, &exec), "mha_run_tensors");
  printf("mha_run vs mha_run_tensors: max |diff| = %.3g\n", max_abs_diff(out.y, y2, n_y));

  const char *dir = text_arg(argc, argv, "save");
  if (dir) {
    save_npy(dir, "x", x, 3, x_shape);
    save_npy(dir, "wq", wq, 2, w_shape);
    save_npy(dir, "wk", wk, 2, w_shape);
    save_npy(dir, "wv", wv, 2, w_shape);
    save_npy(dir, "wo", wo, 2, w_shape);
    save_npy(dir, "y", out.y, 3, y_shape);
  }

  free(x);
  free(wq);
  free(wk);
  free(wv);
  free(wo);
  free(out.y);
  free(y2);
  return 0;
}
