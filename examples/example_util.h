/* example_util.h: small helpers shared by the example programs.
 *
 * Nothing here is part of attnc's API: it only keeps the examples short.
 * Each program includes its model's generated header first, then this file.
 */
#ifndef ATTNC_EXAMPLE_UTIL_H
#define ATTNC_EXAMPLE_UTIL_H

#include <attnc/runtime.h>

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exits with a message when a call into a model failed. */
static inline void check(attnc_status status, const char *what) {
  if (status != ATTNC_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, attnc_status_string(status),
            attnc_last_error());
    exit(1);
  }
}

/* Reads a dim given on the command line as NAME=VALUE, or returns `fallback`. */
static inline int64_t dim_arg(int argc, char **argv, const char *name, int64_t fallback) {
  size_t len = strlen(name);
  for (int a = 1; a < argc; ++a) {
    if (strncmp(argv[a], name, len) == 0 && argv[a][len] == '=') {
      char *end = NULL;
      long long v = strtoll(argv[a] + len + 1, &end, 10);
      if (*end != '\0' || v < 0) {
        fprintf(stderr, "bad value in '%s'\n", argv[a]);
        exit(2);
      }
      return (int64_t)v;
    }
  }
  return fallback;
}

/* A float buffer of n elements filled with deterministic values in
 * [-scale, scale), from a 32-bit linear congruential generator seeded by `seed`. */
static inline float *random_floats(size_t n, uint32_t seed, float scale) {
  float *p = malloc((n ? n : 1) * sizeof *p);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  uint32_t state = seed * 2654435761u + 1u;
  for (size_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    p[i] = scale * ((float)(state >> 8) * (2.0f / 16777216.0f) - 1.0f);
  }
  return p;
}

/* A float buffer of n elements, all equal to `value` (e.g. layernorm's gamma). */
static inline float *constant_floats(size_t n, float value) {
  float *p = malloc((n ? n : 1) * sizeof *p);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < n; ++i)
    p[i] = value;
  return p;
}

/* A zeroed float buffer for an output of n elements, n from
 * NAME_output_elements. That is 0 for invalid dims (the reason is then in
 * attnc_last_error()) and for a valid but empty output (a dim set to 0). */
static inline float *output_floats(size_t n, const char *name) {
  if (n == 0 && attnc_last_error()[0] != '\0') {
    fprintf(stderr, "output '%s': %s\n", name, attnc_last_error());
    exit(1);
  }
  float *p = calloc(n ? n : 1, sizeof *p);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  return p;
}

/* Prints an output's shape, its checksums (sum and sum of absolute values) and
 * its first few values. The shape must account for exactly n elements. */
static inline void report(const char *name, const float *data, size_t n, int rank,
                   const int64_t *shape) {
  size_t count = 1;
  printf("%s: f32[", name);
  for (int r = 0; r < rank; ++r) {
    printf(r ? ", %" PRId64 : "%" PRId64, shape[r]);
    count *= (size_t)shape[r];
  }
  printf("]");
  if (count != n) {
    printf("\nerror: %zu elements expected, the model reports %zu\n", count, n);
    exit(1);
  }
  double sum = 0, abs_sum = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += data[i];
    abs_sum += fabs(data[i]);
  }
  printf("  sum=%.6g  abs_sum=%.6g  first:", sum, abs_sum);
  for (size_t i = 0; i < n && i < 4; ++i)
    printf(" %.6g", data[i]);
  printf("\n");
}

/* The largest absolute difference between two buffers of n floats. */
static inline double max_abs_diff(const float *a, const float *b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = fabs((double)a[i] - (double)b[i]);
    if (d > m || d != d)
      m = d;
  }
  return m;
}

/* Reads a NAME=TEXT argument, or returns NULL. */
static inline const char *text_arg(int argc, char **argv, const char *name) {
  size_t len = strlen(name);
  for (int a = 1; a < argc; ++a)
    if (strncmp(argv[a], name, len) == 0 && argv[a][len] == '=')
      return argv[a] + len + 1;
  return NULL;
}

/* Writes a float32 tensor as DIR/NAME.npy (NumPy format 1.0, C order), so
 * that `attnc run --input NAME=@DIR/NAME.npy --check ...` can compare what
 * this program computed with the reference interpreter. */
static inline void save_npy(const char *dir, const char *name, const float *data, int rank,
                            const int64_t *shape) {
  char path[1024], header[256];
  snprintf(path, sizeof path, "%s/%s.npy", dir, name);
  int n = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
  size_t count = 1;
  for (int r = 0; r < rank; ++r) {
    n += snprintf(header + n, sizeof header - (size_t)n, "%" PRId64 "%s", shape[r],
                  rank == 1 ? "," : (r + 1 < rank ? ", " : ""));
    count *= (size_t)shape[r];
  }
  n += snprintf(header + n, sizeof header - (size_t)n, "), }");
  /* Pad with spaces so that magic + length + header is a multiple of 64. */
  while ((10 + n + 1) % 64 != 0)
    header[n++] = ' ';
  header[n++] = '\n';
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  const unsigned char length[2] = {(unsigned char)(n & 0xff), (unsigned char)(n >> 8)};
  fwrite(magic, 1, sizeof magic, f);
  fwrite(length, 1, sizeof length, f);
  fwrite(header, 1, (size_t)n, f);
  fwrite(data, sizeof *data, count, f);
  fclose(f);
}

#endif /* ATTNC_EXAMPLE_UTIL_H */
