/* A program that loads its model's params from a safetensors file through
 * the runtime, as ABI.md's users do: it writes the file itself (bf16
 * weights under dotted names), opens it with attnc_weights_open, fills the
 * params with affine_load_params, runs, and compares with the product
 * worked out by hand. Exits non-zero on any difference. */
#include "affine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bf16 bit patterns of W = [[0.5, -1], [0.25, 2], [1, 0]] and of b. */
static const uint16_t kWeight[6] = {0x3F00, 0xBF80, 0x3E80, 0x4000, 0x3F80, 0x0000};
static const uint16_t kBias[2] = {0x3F00, 0xBF00}; /* 0.5, -0.5 */

static int write_weights(const char *path) {
  const char *header = "{\"proj.weight\":{\"dtype\":\"BF16\",\"shape\":[3,2],\"data_offsets\":[0,12]},"
                       "\"proj.bias\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[12,16]}}";
  uint64_t n = strlen(header);
  unsigned char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = (unsigned char)(n >> (8 * i));
  FILE *f = fopen(path, "wb");
  if (!f)
    return 0;
  int ok = fwrite(length, 1, 8, f) == 8 && fwrite(header, 1, n, f) == n &&
           fwrite(kWeight, 2, 6, f) == 6 && fwrite(kBias, 2, 2, f) == 2;
  return fclose(f) == 0 && ok;
}

static int check(attnc_status s, const char *what) {
  if (s != ATTNC_OK)
    fprintf(stderr, "%s: %s: %s\n", what, attnc_status_string(s), attnc_last_error());
  return s == ATTNC_OK;
}

int main(int argc, char **argv) {
  /* The file goes beside the program, in the test's own directory. */
  char path[4096];
  snprintf(path, sizeof path, "%s.safetensors", argc > 0 ? argv[0] : "weights_main");
  if (!write_weights(path)) {
    fprintf(stderr, "cannot write %s\n", path);
    return 1;
  }
  attnc_weights *weights = NULL;
  if (!check(attnc_weights_open(path, &weights), "attnc_weights_open"))
    return 1;
  affine_params params;
  memset(&params, 0, sizeof params);
  if (!check(affine_load_params(weights, NULL, &params), "affine_load_params"))
    return 1;

  const float x[6] = {1, 2, 3, 4, 5, 6};
  const float expected[4] = {4.5f, 2.5f, 9.75f, 5.5f};
  float y[4] = {0};
  affine_dims dims = {2};
  affine_inputs in = {x};
  affine_outputs out = {y};
  if (!check(affine_run(&dims, &in, &params, &out, NULL), "affine_run"))
    return 1;
  int failures = 0;
  for (int i = 0; i < 4; ++i)
    if (y[i] != expected[i]) {
      fprintf(stderr, "y[%d] = %g, expected %g\n", i, y[i], expected[i]);
      ++failures;
    }

  /* A model whose param the file lacks: a status naming it, params kept. */
  affine_params before = params;
  attnc_weights_close(weights);
  const char *header = "{}";
  FILE *f = fopen(path, "wb");
  unsigned char length[8] = {2};
  if (!f || fwrite(length, 1, 8, f) != 8 || fwrite(header, 1, 2, f) != 2 || fclose(f) != 0)
    return 1;
  if (!check(attnc_weights_open(path, &weights), "attnc_weights_open (empty)"))
    return 1;
  attnc_status s = affine_load_params(weights, NULL, &params);
  if (s != ATTNC_ERR_INVALID_ARGUMENT || !strstr(attnc_last_error(), "no tensor named 'proj_weight'") ||
      memcmp(&before, &params, sizeof params) != 0) {
    fprintf(stderr, "missing tensor: status %d, message \"%s\"\n", (int)s, attnc_last_error());
    ++failures;
  }
  attnc_weights_close(weights);
  remove(path);
  if (!failures)
    printf("weights loaded by name, converted from bf16, y matches\n");
  return failures != 0;
}
