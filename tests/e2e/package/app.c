/* Runs both models of the package test against softmax(q k^T / sqrt(D)) v
 * computed here in double precision; exits 1 beyond ARCHITECTURE.md's f32
 * tolerance or on any error. */
#include "sdpa.h"
#include "sdpa_fixed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { B = 2, S = 5, T = 7, D = 16 };

static float q[B * S * D], k[B * T * D], v[B * T * D];

/* max |o - reference| over the whole output, and max |reference|. */
static double max_error(const float *o, double *max_ref) {
  double err = 0;
  *max_ref = 0;
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < S; ++i) {
      double w[T], top = -INFINITY, sum = 0;
      for (int j = 0; j < T; ++j) {
        double s = 0;
        for (int d = 0; d < D; ++d)
          s += (double)q[(b * S + i) * D + d] * k[(b * T + j) * D + d];
        w[j] = s / sqrt((double)D);
        top = w[j] > top ? w[j] : top;
      }
      for (int j = 0; j < T; ++j)
        sum += w[j] = exp(w[j] - top);
      for (int d = 0; d < D; ++d) {
        double r = 0;
        for (int j = 0; j < T; ++j)
          r += w[j] / sum * v[(b * T + j) * D + d];
        double e = fabs(o[(b * S + i) * D + d] - r);
        err = e > err ? e : err;
        *max_ref = fabs(r) > *max_ref ? fabs(r) : *max_ref;
      }
    }
  return err;
}

static int check(const char *name, attnc_status status, const float *o) {
  if (status != ATTNC_OK) {
    printf("%s: %s: %s\n", name, attnc_status_string(status), attnc_last_error());
    return 1;
  }
  double max_ref, err = max_error(o, &max_ref), tolerance = 1e-4 * (max_ref + 1);
  printf("%s: max abs error %.3g (tolerance %.3g)\n", name, err, tolerance);
  return !(err <= tolerance);
}

int main(void) {
  srand(7);
  float *all[] = {q, k, v};
  int sizes[] = {B * S * D, B * T * D, B * T * D};
  for (int t = 0; t < 3; ++t)
    for (int n = 0; n < sizes[t]; ++n)
      all[t][n] = 2.0f * rand() / (float)RAND_MAX - 1.0f;

  static float o[B * S * D], o_fixed[B * S * D];
  sdpa_dims dims = {.B = B, .S = S, .T = T};
  sdpa_inputs in = {.q = q, .k = k, .v = v};
  sdpa_outputs out = {.o = o};
  fixed_dims fdims = {.B = B, .T = T};  /* S = 5 is fixed at compile time */
  fixed_inputs fin = {.q = q, .k = k, .v = v};
  fixed_outputs fout = {.o = o_fixed};
  int failed = check("sdpa", sdpa_run(&dims, &in, NULL, &out, NULL), o);
  failed |= check("fixed", fixed_run(&fdims, &fin, NULL, &fout, NULL), o_fixed);
  return failed;
}
