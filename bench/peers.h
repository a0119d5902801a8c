/* peers.h - what attnc_bench measures attnc against, and its small helpers.
 *
 * The peers are deliberately plain: an unfused attention built from OpenBLAS
 * SGEMMs and a C softmax (what a careful user writes without a fused kernel),
 * and one square SGEMM (the machine's practical fp32 peak). */
#ifndef ATTNC_BENCH_PEERS_H
#define ATTNC_BENCH_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds on a monotonic clock. */
double bench_now(void);

/* A 64-byte aligned buffer of n floats (the alignment ABI.md recommends), or
 * NULL. Release with free(). */
float *bench_alloc_floats(size_t n);

/* Fills x with floats uniform in [-1, 1), deterministically from seed. */
void bench_fill_random(float *x, size_t n, uint64_t seed);

/* max |a - b| and max |ref| over n elements; a NaN anywhere gives NaN. */
typedef struct bench_diff {
  double max_abs_diff;
  double max_abs_ref;
} bench_diff;
bench_diff bench_compare(const float *out, const float *ref, size_t n);

/* One scaled dot-product attention problem, tensors [B, H, S|T, D] dense
 * row-major: o = softmax(q k^T / sqrt(D) [masked j <= i when causal]) v. */
typedef struct attention_problem {
  int64_t B, H, S, T, D;
  bool causal;
  const float *q, *k, *v;
  float *o;
} attention_problem;

/* The unfused OpenBLAS attention. For each (b, h): one SGEMM for q k^T into
 * an S x T score matrix, scale + mask + row softmax in plain C, one SGEMM for
 * P v. The (b, h) pairs are shared out among `threads` threads, each with its
 * own score matrix from `scratch` (threads buffers of S*T floats, allocated
 * by the caller so that allocation is not timed). OpenBLAS must be set to one
 * thread while this runs, so the two levels of threading do not fight. */
void openblas_attention(const attention_problem *p, int threads, float *const *scratch);

/* c = a b for n x n row-major matrices, with OpenBLAS's own threading. */
void openblas_square_sgemm(int n, const float *a, const float *b, float *c);
/* c[m, n] = a[m, k] @ b[k, n], row-major. */
void openblas_sgemm(int m, int n, int k, const float *a, const float *b, float *c);

/* Additive attention in plain C (double precision), used only to check
 * attnc's output: qh = q w_q, kh = k w_k, then
 * o[b,i,:] = softmax_j(sum_h w_v[h] tanh(qh[b,i,h] + kh[b,j,h])) v[b,j,:]. */
typedef struct additive_problem {
  int64_t B, S, T, DQ, DK, DV, A;
  const float *q, *k, *v, *w_q, *w_k, *w_v;
  float *o;
} additive_problem;
void additive_reference(const additive_problem *p);

#endif /* ATTNC_BENCH_PEERS_H */
