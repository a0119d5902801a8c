/* peers.c - the OpenBLAS peers and the helpers of attnc_bench (see peers.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime and pthreads under -std=c11 */
#endif
#include "peers.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

float *bench_alloc_floats(size_t n) {
  /* aligned_alloc wants a size that is a multiple of the alignment. */
  size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
  return aligned_alloc(64, bytes ? bytes : 64);
}

void bench_fill_random(float *x, size_t n, uint64_t seed) {
  /* xorshift64*: fast, and the same numbers on every machine. */
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    uint64_t r = s * 0x2545F4914F6CDD1Dull;
    /* 24 random bits: every value is exact in f32. */
    x[i] = (float)(r >> 40) * (1.0f / 8388608.0f) - 1.0f;
  }
}

bench_diff bench_compare(const float *out, const float *ref, size_t n) {
  bench_diff d = {0.0, 0.0};
  for (size_t i = 0; i < n; ++i) {
    double diff = fabs((double)out[i] - (double)ref[i]);
    /* Written so that a NaN on either side propagates instead of being
     * silently ignored by a comparison. */
    if (!(diff <= d.max_abs_diff)) d.max_abs_diff = diff;
    double r = fabs((double)ref[i]);
    if (!(r <= d.max_abs_ref)) d.max_abs_ref = r;
  }
  return d;
}

/*===- Unfused OpenBLAS attention ----------------------------------------===*/

/* exp(x) for the softmax, written so that the compiler vectorises the loops
 * that call it (libm's expf is a scalar call that would otherwise dominate
 * the unfused peer's time, and the peer should be as fast as plain C gets).
 * x = n ln2 + r with |r| <= ln2/2; exp(r) by its Taylor polynomial to degree
 * 7 (relative error below 1e-7 on that interval); 2^n built in the exponent
 * bits. Arguments below -87 are clamped there, where exp is ~1e-38: a weight
 * that small is 0 for any practical purpose. */
static inline float softmax_exp(float x) {
  const float log2e = 1.44269504f, ln2_hi = 0.693145752f, ln2_lo = 1.42860677e-6f;
  /* Adding and subtracting 1.5 * 2^23 rounds to the nearest integer in float
   * arithmetic, which vectorises where floorf or lrintf may not. */
  const float round_magic = 12582912.0f;
  x = x < -87.0f ? -87.0f : x;
  float n = (x * log2e + round_magic) - round_magic;
  float r = (x - n * ln2_hi) - n * ln2_lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = ((int32_t)n + 127) << 23; /* n is in [-126, 0]: a normal 2^n */
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/* Partial sums and maxima over lanes, so the reductions vectorise without
 * -ffast-math (which would also let the compiler assume away the -inf of
 * masked scores). */
enum { LANES = 16 };

/* Scale, mask and softmax one row of scores in place. Entries [0, live) are
 * kept, the rest are masked to -inf, i.e. weight 0. A row with no live entry
 * becomes zeros, as attnc's softmax defines it. */
static void softmax_row(float *row, int64_t live, int64_t T, float scale) {
  if (live == 0) {
    memset(row, 0, (size_t)T * sizeof(float));
    return;
  }
  float lane_max[LANES];
  for (int l = 0; l < LANES; ++l) lane_max[l] = -INFINITY;
  int64_t j = 0;
  for (; j + LANES <= live; j += LANES)
    for (int l = 0; l < LANES; ++l) {
      float s = row[j + l] * scale;
      row[j + l] = s;
      lane_max[l] = s > lane_max[l] ? s : lane_max[l];
    }
  for (; j < live; ++j) {
    row[j] *= scale;
    lane_max[0] = row[j] > lane_max[0] ? row[j] : lane_max[0];
  }
  float max = lane_max[0];
  for (int l = 1; l < LANES; ++l) max = lane_max[l] > max ? lane_max[l] : max;

  float lane_sum[LANES] = {0};
  for (j = 0; j + LANES <= live; j += LANES)
    for (int l = 0; l < LANES; ++l) {
      float e = softmax_exp(row[j + l] - max);
      row[j + l] = e;
      lane_sum[l] += e;
    }
  for (; j < live; ++j) {
    row[j] = softmax_exp(row[j] - max);
    lane_sum[0] += row[j];
  }
  float sum = 0.0f;
  for (int l = 0; l < LANES; ++l) sum += lane_sum[l];

  float inv = 1.0f / sum;
  for (j = 0; j < live; ++j) row[j] *= inv;
  for (; j < T; ++j) row[j] = 0.0f;
}

/* One (b, h) pair: the textbook three steps, with the whole S x T matrix. */
static void attention_head(const attention_problem *p, int64_t bh, float *scores) {
  const int64_t S = p->S, T = p->T, D = p->D;
  const float *q = p->q + bh * S * D;
  const float *k = p->k + bh * T * D;
  const float *v = p->v + bh * T * D;
  float *o = p->o + bh * S * D;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)S, (int)T, (int)D, 1.0f, q,
              (int)D, k, (int)D, 0.0f, scores, (int)T);
  const float scale = 1.0f / sqrtf((float)D);
  for (int64_t i = 0; i < S; ++i) {
    /* causal: where(j <= i, s, -inf) keeps keys 0..i */
    int64_t live = p->causal ? (i + 1 < T ? i + 1 : T) : T;
    softmax_row(scores + i * T, live, T, scale);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)S, (int)D, (int)T, 1.0f, scores,
              (int)T, v, (int)D, 0.0f, o, (int)D);
}

typedef struct attention_job {
  const attention_problem *p;
  float *const *scratch;
  atomic_llong next; /* the next (b, h) pair nobody has taken yet */
} attention_job;

typedef struct attention_worker {
  attention_job *job;
  int index; /* which scratch buffer is this thread's */
} attention_worker;

static void *attention_worker_main(void *arg) {
  attention_worker *w = arg;
  attention_job *job = w->job;
  const int64_t pairs = job->p->B * job->p->H;
  /* Pairs are handed out one at a time: causal rows cost the same as full
   * ones here, but the balance stays right when B*H is not a multiple of the
   * thread count. */
  for (;;) {
    int64_t bh = atomic_fetch_add(&job->next, 1);
    if (bh >= pairs) break;
    attention_head(job->p, bh, job->scratch[w->index]);
  }
  return NULL;
}

void openblas_attention(const attention_problem *p, int threads, float *const *scratch) {
  attention_job job = {.p = p, .scratch = scratch};
  atomic_init(&job.next, 0);
  if (threads < 1) threads = 1;
  attention_worker workers[threads];
  pthread_t ids[threads];
  int started = 0;
  for (int t = 1; t < threads; ++t) {
    workers[t] = (attention_worker){&job, t};
    if (pthread_create(&ids[t], NULL, attention_worker_main, &workers[t]) != 0) break;
    started = t;
  }
  /* The calling thread works too; if a thread could not be started the
   * others simply take more pairs. */
  workers[0] = (attention_worker){&job, 0};
  attention_worker_main(&workers[0]);
  for (int t = 1; t <= started; ++t) pthread_join(ids[t], NULL);
}

void openblas_sgemm(int m, int n, int k, const float *a, const float *b, float *c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c,
              n);
}

void openblas_square_sgemm(int n, const float *a, const float *b, float *c) {
  openblas_sgemm(n, n, n, a, b, c);
}

/*===- Additive attention reference --------------------------------------===*/

/* x[rows, n] @ w[n, m] in double, for the projections. */
static double *project(const float *x, const float *w, int64_t rows, int64_t n, int64_t m) {
  double *y = calloc((size_t)(rows * m), sizeof(double));
  if (!y) abort();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < n; ++c)
      for (int64_t a = 0; a < m; ++a) y[r * m + a] += (double)x[r * n + c] * w[c * m + a];
  return y;
}

void additive_reference(const additive_problem *p) {
  const int64_t S = p->S, T = p->T, A = p->A, DV = p->DV;
  double *qh = project(p->q, p->w_q, p->B * S, p->DQ, A);
  double *kh = project(p->k, p->w_k, p->B * T, p->DK, A);
  double *row = malloc((size_t)T * sizeof(double));
  if (!row) abort();
  for (int64_t b = 0; b < p->B; ++b) {
    for (int64_t i = 0; i < S; ++i) {
      const double *qi = qh + (b * S + i) * A;
      double max = -INFINITY;
      for (int64_t j = 0; j < T; ++j) {
        const double *kj = kh + (b * T + j) * A;
        double s = 0.0;
        for (int64_t h = 0; h < A; ++h) s += (double)p->w_v[h] * tanh(qi[h] + kj[h]);
        row[j] = s;
        if (s > max) max = s;
      }
      double sum = 0.0;
      for (int64_t j = 0; j < T; ++j) {
        row[j] = exp(row[j] - max);
        sum += row[j];
      }
      float *oi = p->o + (b * S + i) * DV;
      for (int64_t d = 0; d < DV; ++d) {
        double acc = 0.0;
        for (int64_t j = 0; j < T; ++j) acc += row[j] * p->v[(b * T + j) * DV + d];
        oi[d] = (float)(acc / sum);
      }
    }
  }
  free(row);
  free(qh);
  free(kh);
}
