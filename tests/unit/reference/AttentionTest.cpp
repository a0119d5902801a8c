//===- AttentionTest.cpp - Whole attention models ---------------*- C++ -*-===//
//
// Attention variants from LANGUAGE.md, each against a direct loop nest
// written in the test.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

using namespace attnc;
using namespace attnc::ref;
using namespace attnc::ref::testing;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
constexpr double kTol = 1e-12;

/// out[i, :] = softmax_j(score(i, j)) @ v[j, :] for one (batch, head);
/// a row whose scores are all -inf gives 0.
void attendRow(int T, int D, const std::function<double(int)> &score,
               const std::function<double(int, int)> &v, double *out) {
  std::vector<double> s(T);
  double mx = -kInf;
  for (int j = 0; j < T; ++j)
    mx = std::max(mx, s[j] = score(j));
  for (int d = 0; d < D; ++d)
    out[d] = 0;
  if (mx == -kInf)
    return;
  double denom = 0;
  for (int j = 0; j < T; ++j)
    denom += s[j] = std::exp(s[j] - mx);
  for (int j = 0; j < T; ++j)
    for (int d = 0; d < D; ++d)
      out[d] += s[j] / denom * v(j, d);
}

TEST(Attention, ScaledDotProduct) {
  auto module = parse(R"(
model sdpa {
  dim B, H, S, T, D = 8
  input q: f32[B, H, S, D]
  input k: f32[B, H, T, D]
  input v: f32[B, H, T, D]
  output o = softmax(q @ k.T / sqrt(D)) @ v
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int B = 2, H = 3, S = 5, T = 7, D = 8;
  auto dims = dimValues(m, {{"B", B}, {"H", H}, {"S", S}, {"T", T}});
  auto in = randomInputs(m, dims, 100);
  auto out = run(m, dims, in);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{B, H, S, D}));
  const auto &q = in[0].data, &k = in[1].data, &v = in[2].data;
  std::vector<double> row(D);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int i = 0; i < S; ++i) {
        int bh = b * H + h;
        attendRow(
            T, D,
            [&](int j) {
              double s = 0;
              for (int d = 0; d < D; ++d)
                s += q[(bh * S + i) * D + d] * k[(bh * T + j) * D + d];
              return s / std::sqrt(double(D));
            },
            [&](int j, int d) { return v[(bh * T + j) * D + d]; }, row.data());
        for (int d = 0; d < D; ++d)
          EXPECT_NEAR(out[0].data[(bh * S + i) * D + d], row[d], kTol);
      }
}

TEST(Attention, AdditiveComprehension) {
  auto module = parse(R"(
model additive {
  dim B, S, T, A
  input qh: f32[B, S, A]
  input kh: f32[B, T, A]
  input v: f32[B, T, A]
  param wv: f32[A]
  let e[b, i, j] = sum(h: wv[h] * tanh(qh[b, i, h] + kh[b, j, h]))
  let w = softmax(e)
  output o[b, i, d] = sum(j: w[b, i, j] * v[b, j, d])
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int B = 2, S = 3, T = 4, A = 5;
  auto dims = dimValues(m, {{"B", B}, {"S", S}, {"T", T}, {"A", A}});
  auto in = randomInputs(m, dims, 101);
  auto out = run(m, dims, in);
  const auto &qh = in[0].data, &kh = in[1].data, &v = in[2].data, &wv = in[3].data;
  std::vector<double> row(A);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < S; ++i) {
      attendRow(
          T, A,
          [&](int j) {
            double s = 0;
            for (int h = 0; h < A; ++h)
              s += wv[h] * std::tanh(qh[(b * S + i) * A + h] + kh[(b * T + j) * A + h]);
            return s;
          },
          [&](int j, int d) { return v[(b * T + j) * A + d]; }, row.data());
      for (int d = 0; d < A; ++d)
        EXPECT_NEAR(out[0].data[(b * S + i) * A + d], row[d], kTol);
    }
}

TEST(Attention, CausalMultiHeadWithProjections) {
  auto module = parse(R"(
model mha {
  dim B, S, E = 8, H = 2
  input x: f32[B, S, E]
  param wq: f32[E, E]
  param wk: f32[E, E]
  param wv: f32[E, E]
  param wo: f32[E, E]
  let q = heads(x @ wq, H)
  let k = heads(x @ wk, H)
  let v = heads(x @ wv, H)
  let s[b, h, i, j] = where(j <= i, (q @ k.T)[b, h, i, j] / sqrt(E / H), -inf)
  output y = unheads(softmax(s) @ v) @ wo
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int B = 2, S = 5, E = 8, H = 2, D = E / H;
  auto dims = dimValues(m, {{"B", B}, {"S", S}});
  auto in = randomInputs(m, dims, 102);
  auto out = run(m, dims, in);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{B, S, E}));
  const auto &x = in[0].data;
  auto project = [&](const std::vector<double> &w) {
    std::vector<double> p(B * S * E, 0.0);
    for (int r = 0; r < B * S; ++r)
      for (int c = 0; c < E; ++c)
        for (int e = 0; e < E; ++e)
          p[r * E + c] += x[r * E + e] * w[e * E + c];
    return p;
  };
  auto q = project(in[1].data), k = project(in[2].data), v = project(in[3].data);
  std::vector<double> merged(B * S * E), row(D);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int i = 0; i < S; ++i) {
        attendRow(
            S, D,
            [&](int j) {
              if (j > i)
                return -kInf;
              double s = 0;
              for (int d = 0; d < D; ++d)
                s += q[(b * S + i) * E + h * D + d] * k[(b * S + j) * E + h * D + d];
              return s / std::sqrt(double(D));
            },
            [&](int j, int d) { return v[(b * S + j) * E + h * D + d]; }, row.data());
        for (int d = 0; d < D; ++d)
          merged[(b * S + i) * E + h * D + d] = row[d];
      }
  const auto &wo = in[4].data;
  for (int r = 0; r < B * S; ++r)
    for (int c = 0; c < E; ++c) {
      double y = 0;
      for (int e = 0; e < E; ++e)
        y += merged[r * E + e] * wo[e * E + c];
      EXPECT_NEAR(out[0].data[r * E + c], y, 1e-11);
    }
}

TEST(Attention, GroupedQueryWithAlibiAndSlidingWindow) {
  auto module = parse(R"(
model gqa {
  dim B, HQ = 4, HK = 2, S, D = 4, W = 3
  input q: f32[B, HQ, S, D]
  input k: f32[B, HK, S, D]
  input v: f32[B, HK, S, D]
  param slope: f32[HQ]
  let s[b, h, i, j] = where(j <= i && i - j < W, sum(d: q[b, h, i, d] * k[b, h / (HQ / HK), j, d]) / sqrt(D) + slope[h] * (j - i), -inf)
  let p = softmax(s)
  output o[b, h, i, d] = sum(j: p[b, h, i, j] * v[b, h / (HQ / HK), j, d])
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int B = 2, HQ = 4, HK = 2, S = 6, D = 4, W = 3, G = HQ / HK;
  auto dims = dimValues(m, {{"B", B}, {"S", S}});
  auto in = randomInputs(m, dims, 103);
  auto out = run(m, dims, in);
  const auto &q = in[0].data, &k = in[1].data, &v = in[2].data, &slope = in[3].data;
  std::vector<double> row(D);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < HQ; ++h)
      for (int i = 0; i < S; ++i) {
        int kv = b * HK + h / G;
        attendRow(
            S, D,
            [&](int j) {
              if (j > i || i - j >= W)
                return -kInf;
              double s = 0;
              for (int d = 0; d < D; ++d)
                s += q[((b * HQ + h) * S + i) * D + d] * k[(kv * S + j) * D + d];
              return s / 2.0 + slope[h] * (j - i);
            },
            [&](int j, int d) { return v[(kv * S + j) * D + d]; }, row.data());
        for (int d = 0; d < D; ++d)
          EXPECT_NEAR(out[0].data[((b * HQ + h) * S + i) * D + d], row[d], kTol);
      }
}

TEST(Attention, PaddingMaskFromLengths) {
  auto module = parse(R"(
model padmask {
  dim B, S, T, D
  input q: f32[B, S, D]
  input k: f32[B, T, D]
  input v: f32[B, T, D]
  input len: i32[B]
  let s[b, i, j] = where(j < len[b], sum(d: q[b, i, d] * k[b, j, d]), -inf)
  output o = softmax(s) @ v
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int B = 3, S = 2, T = 6, D = 3;
  auto dims = dimValues(m, {{"B", B}, {"S", S}, {"T", T}, {"D", D}});
  auto in = randomInputs(m, dims, 104);
  in[3].data = {0, 3, 6};
  auto out = run(m, dims, in);
  const auto &q = in[0].data, &k = in[1].data, &v = in[2].data;
  std::vector<double> row(D);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < S; ++i) {
      attendRow(
          T, D,
          [&](int j) {
            if (j >= in[3].data[b])
              return -kInf;
            double s = 0;
            for (int d = 0; d < D; ++d)
              s += q[(b * S + i) * D + d] * k[(b * T + j) * D + d];
            return s;
          },
          [&](int j, int d) { return v[(b * T + j) * D + d]; }, row.data());
      for (int d = 0; d < D; ++d)
        EXPECT_NEAR(out[0].data[(b * S + i) * D + d], row[d], kTol);
    }
  for (int i = 0; i < S * D; ++i)
    EXPECT_EQ(out[0].data[i], 0.0);  // batch 0 has no key at all
}

TEST(Attention, NadarayaWatsonGaussianKernel) {
  auto module = parse(R"(
model nw {
  dim N, M
  input xq: f32[N]
  input xk: f32[M]
  input yk: f32[M]
  let s[i, j] = -(xq[i] - xk[j]) ** 2 / 2
  output f = softmax(s) @ yk
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int N = 4, M = 9;
  auto dims = dimValues(m, {{"N", N}, {"M", M}});
  auto in = randomInputs(m, dims, 105);
  auto out = run(m, dims, in);
  ASSERT_EQ(out[0].shape, std::vector<int64_t>{N});
  for (int i = 0; i < N; ++i) {
    double num = 0, den = 0;
    for (int j = 0; j < M; ++j) {
      double d = in[0].data[i] - in[1].data[j];
      double w = std::exp(-d * d / 2);
      num += w * in[2].data[j];
      den += w;
    }
    EXPECT_NEAR(out[0].data[i], num / den, kTol);
  }
}

TEST(Attention, HardAttentionWithTopk) {
  auto module = parse(R"(
model hard {
  dim S, T, D
  input q: f32[S, D]
  input k: f32[T, D]
  input v: f32[T, D]
  output o = softmax(topk_mask(q @ k.T, 2)) @ v
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int S = 3, T = 6, D = 2;
  auto dims = dimValues(m, {{"S", S}, {"T", T}, {"D", D}});
  auto in = randomInputs(m, dims, 106);
  auto out = run(m, dims, in);
  const auto &q = in[0].data, &k = in[1].data, &v = in[2].data;
  std::vector<double> row(D);
  for (int i = 0; i < S; ++i) {
    std::vector<double> s(T);
    for (int j = 0; j < T; ++j)
      s[j] = q[i * D] * k[j * D] + q[i * D + 1] * k[j * D + 1];
    // Keep the two largest (random data: no ties).
    std::vector<double> sorted = s;
    std::sort(sorted.rbegin(), sorted.rend());
    attendRow(
        T, D, [&](int j) { return s[j] >= sorted[1] ? s[j] : -kInf; },
        [&](int j, int d) { return v[j * D + d]; }, row.data());
    for (int d = 0; d < D; ++d)
      EXPECT_NEAR(out[0].data[i * D + d], row[d], kTol);
  }
}

} // namespace
