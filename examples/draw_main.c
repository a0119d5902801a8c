/* draw_main.c: runs draw.attn, reading an N x N Gaussian glimpse from each image.
 *
 *   attnc examples/draw.attn -o draw.o
 *   cc -O2 examples/draw_main.c draw.o -I. -I<attnc>/include -L<attnc>/lib \
 *      -lattnc_runtime -lpthread -lm -ldl -o draw
 *   ./draw [B=2] [H=28] [W=28]
 */
#include "draw.h"

#include "example_util.h"

int main(int argc, char **argv) {
  const int64_t B = dim_arg(argc, argv, "B", 2), H = dim_arg(argc, argv, "H", 28);
  const int64_t W = dim_arg(argc, argv, "W", 28);
  const int64_t N = 12; /* fixed in draw.attn: the glimpse is N x N */

  float *img = random_floats((size_t)(B * H * W), 1, 1.0f);
  /* Attention parameters, as a DRAW decoder would emit them: a centre
   * anywhere in the image, stride and variance within a factor e of their
   * defaults, intensity around 1. */
  float *cx = random_floats((size_t)B, 2, 1.0f);
  float *cy = random_floats((size_t)B, 3, 1.0f);
  float *log_stride = random_floats((size_t)B, 4, 1.0f);
  float *log_var = random_floats((size_t)B, 5, 1.0f);
  float *log_gamma = random_floats((size_t)B, 6, 0.5f);

  draw_dims dims = {.B = B, .H = H, .W = W};
  draw_inputs in = {.img = img, .cx = cx, .cy = cy, .log_stride = log_stride,
                    .log_var = log_var, .log_gamma = log_gamma};
  size_t n_g = draw_output_elements(&dims, 0);
  draw_outputs out = {.glimpse = output_floats(n_g, "glimpse")};

  check(draw_run(&dims, &in, NULL, &out, NULL), "draw_run");
  report("glimpse", out.glimpse, n_g, 3, (const int64_t[]){B, N, N});

  free(img);
  free(cx);
  free(cy);
  free(log_stride);
  free(log_var);
  free(log_gamma);
  free(out.glimpse);
  return 0;
}
