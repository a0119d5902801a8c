//===- InterpreterTest.cpp - Expressions and built-ins ----------*- C++ -*-===//
//
// Each test evaluates a small model on seeded random inputs and compares
// with the same math written out directly in the test.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include <cmath>
#include <limits>

using namespace attnc;
using namespace attnc::ref;
using namespace attnc::ref::testing;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
constexpr double kTol = 1e-12;

TEST(Interpreter, ElementwiseBuiltins) {
  auto module = parse(R"(
model ew {
  dim N
  input x: f32[N]
  output a = exp(x) + log(abs(x) + 1)
  output b = sqrt(abs(x)) * rsqrt(abs(x) + 1)
  output c = tanh(x) - sigmoid(x)
  output d = relu(x) + 2 * gelu(x)
  output e = sin(x) * cos(x)
  output f = max(x, 0.25) + min(x, -0.25)
  output g = where(x > 0 && x < 0.5 || x < -0.75, x, 1 - x)
  output h = x ** 2 - -x
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {{"N", 64}});
  auto in = randomInputs(m, dims, 1);
  auto out = run(m, dims, in);
  ASSERT_EQ(out.size(), 8u);
  for (size_t i = 0; i < 64; ++i) {
    double x = in[0].data[i];
    EXPECT_NEAR(out[0].data[i], std::exp(x) + std::log(std::fabs(x) + 1), kTol);
    EXPECT_NEAR(out[1].data[i], std::sqrt(std::fabs(x)) / std::sqrt(std::fabs(x) + 1), kTol);
    EXPECT_NEAR(out[2].data[i], std::tanh(x) - 1 / (1 + std::exp(-x)), kTol);
    double gelu = 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    EXPECT_NEAR(out[3].data[i], (x > 0 ? x : 0) + 2 * gelu, kTol);
    EXPECT_NEAR(out[4].data[i], std::sin(x) * std::cos(x), kTol);
    EXPECT_NEAR(out[5].data[i], std::max(x, 0.25) + std::min(x, -0.25), kTol);
    bool cond = (x > 0 && x < 0.5) || x < -0.75;
    EXPECT_NEAR(out[6].data[i], cond ? x : 1 - x, kTol);
    EXPECT_NEAR(out[7].data[i], x * x + x, kTol);
  }
}

TEST(Interpreter, ActivationsAndClamp) {
  auto module = parse(R"(
model act {
  dim N
  input x: f32[N]
  output a = silu(x * 8)
  output b = softplus(x * 80)
  output c = erf(x * 3)
  output d = clamp(x, -0.25, 0.5)
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {{"N", 64}});
  auto in = randomInputs(m, dims, 2);
  auto out = run(m, dims, in);
  for (size_t i = 0; i < 64; ++i) {
    double x = in[0].data[i];
    EXPECT_NEAR(out[0].data[i], 8 * x / (1 + std::exp(-8 * x)), kTol);
    // log(1 + e^t) in long double, which holds e^80 and 1 + e^-80 well enough.
    long double t = 80.0L * x;
    EXPECT_NEAR(out[1].data[i], static_cast<double>(std::log1p(std::exp(t))), 1e-9);
    EXPECT_NEAR(out[2].data[i], std::erf(3 * x), kTol);
    EXPECT_EQ(out[3].data[i], x < -0.25 ? -0.25 : x > 0.5 ? 0.5 : x);
  }
}

TEST(Interpreter, RoundingGivesSaturatedIntegers) {
  auto module = parse(R"(
model rounding {
  dim N = 8
  input x: f32[N]
  output f = floor(x)
  output c = ceil(x)
  output r = round(x)
  output t = int(x)
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x{{8}, {-2.5, 2.5, 3.5, -0.7, 1e12, -kInf, nan, 2147483647.5}};
  auto out = run(m, dims, {x});
  const double big = 2147483647, small = -2147483648.0;
  EXPECT_EQ(out[0].data, (std::vector<double>{-3, 2, 3, -1, big, small, 0, big}));
  EXPECT_EQ(out[1].data, (std::vector<double>{-2, 3, 4, 0, big, small, 0, big}));
  EXPECT_EQ(out[2].data, (std::vector<double>{-2, 2, 4, -1, big, small, 0, big}));
  EXPECT_EQ(out[3].data, (std::vector<double>{-2, 2, 3, 0, big, small, 0, big}));
}

TEST(Interpreter, LogSumExpAndLogSoftmaxAreTheirDefinitions) {
  auto module = parse(R"(
model lse {
  dim R = 3, N = 5
  input x: f32[R, N]
  output l = logsumexp(x * 4, axis = 1)
  output k = logsumexp(x, keepdim = true)
  output p = log_softmax(x * 4)
  output m = x - max(x, axis = 1, keepdim = true)
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {});
  auto in = randomInputs(m, dims, 3);
  auto out = run(m, dims, in);
  const std::vector<double> &x = in[0].data;
  ASSERT_EQ(out[1].shape, (std::vector<int64_t>{1, 1}));
  double all = 0;
  for (double v : x)
    all += std::exp(v);
  EXPECT_NEAR(out[1].data[0], std::log(all), kTol);
  for (int r = 0; r < 3; ++r) {
    double sum = 0, max = -kInf;
    for (int j = 0; j < 5; ++j) {
      sum += std::exp(4 * x[r * 5 + j]);
      max = std::max(max, x[r * 5 + j]);
    }
    EXPECT_NEAR(out[0].data[r], std::log(sum), kTol);
    for (int j = 0; j < 5; ++j) {
      EXPECT_NEAR(out[2].data[r * 5 + j], 4 * x[r * 5 + j] - std::log(sum), kTol);
      EXPECT_EQ(out[3].data[r * 5 + j], x[r * 5 + j] - max);
    }
  }
}

TEST(Interpreter, StackPutsItsOperandsAlongANewAxis) {
  auto module = parse(R"(
model st {
  dim N = 2, M = 3
  input a: f32[N, M], b: f32[N, M]
  output s = stack(a, b, axis = 1)
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {});
  auto in = randomInputs(m, dims, 4);
  auto out = run(m, dims, in);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{2, 2, 3}));
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 2; ++k)
      for (int j = 0; j < 3; ++j)
        EXPECT_EQ(out[0].data[(i * 2 + k) * 3 + j], in[k].data[i * 3 + j]);
}

TEST(Interpreter, IntegerDivisionFloorsAndModuloTakesDivisorSign) {
  auto module = parse(R"(
model ints {
  dim N = 7
  output q[i: N] = (i - 3) / 2
  output r[i: N] = (i - 3) % 2
  output s[i: N] = (i - 3) % -2
  output t[i: N] = (i - 3) / -2
  output z[i: N] = i / (i - i) + i % (i - i)
  output f[i: N] = (i - 3) / 2.0
  output g[i: N] = (i - 3.5) % 2
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto out = run(m, dimValues(m), {});
  ASSERT_EQ(out.size(), 7u);
  // Python's semantics, written with floor.
  auto pyDiv = [](double a, double b) { return std::floor(a / b); };
  auto pyMod = [&](double a, double b) { return a - b * pyDiv(a, b); };
  for (int i = 0; i < 7; ++i) {
    double a = i - 3;
    EXPECT_EQ(out[0].data[i], pyDiv(a, 2)) << i;
    EXPECT_EQ(out[1].data[i], pyMod(a, 2)) << i;
    EXPECT_EQ(out[2].data[i], pyMod(a, -2)) << i;
    EXPECT_EQ(out[3].data[i], pyDiv(a, -2)) << i;
    EXPECT_EQ(out[4].data[i], 0.0) << i;  // integer division by zero yields 0
    EXPECT_EQ(out[5].data[i], a / 2.0) << i;
    EXPECT_EQ(out[6].data[i], pyMod(i - 3.5, 2)) << i;
  }
  EXPECT_EQ(out[0].data[0], -2.0);  // -3 / 2
  EXPECT_EQ(out[1].data[0], 1.0);   // -3 % 2
  EXPECT_EQ(out[2].data[6], -1.0);  // 3 % -2
}

TEST(Interpreter, ScalarIntegerArithmetic) {
  auto module = parse(R"(
model scalars {
  dim N = 5
  output a = (-7) / 2 + 7 % -3
  output b = 2 ** 3 + N / 2
  output c = 2 ** -1
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto out = run(m, dimValues(m), {});
  EXPECT_EQ(out[0].data[0], -6.0);  // -4 + -2
  EXPECT_EQ(out[1].data[0], 10.0);
  EXPECT_EQ(out[2].data[0], 0.5);
}

TEST(Interpreter, IndexFreeSubexpressionsInsideComprehensions) {
  auto module = parse(R"(
model cached {
  dim N
  input x: f32[N]
  let t = sum(x)
  output e[i] = x[i] / sum(j: x[j]) + t * softmax(x)[i]
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {{"N", 6}});
  auto in = randomInputs(m, dims, 14);
  auto out = run(m, dims, in);
  const auto &x = in[0].data;
  double sum = 0, mx = -kInf, denom = 0;
  for (double v : x) {
    sum += v;
    mx = std::max(mx, v);
  }
  for (double v : x)
    denom += std::exp(v - mx);
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(out[0].data[i], x[i] / sum + sum * std::exp(x[i] - mx) / denom, 1e-9);
}

TEST(Interpreter, OutOfBoundsReadsAreZero) {
  auto module = parse(R"(
model pad {
  dim N
  input x: f32[N]
  output y[i: N] = x[i - 1] + 10 * x[i + 1]
  output w[i: N, k: 3] = x[i + k - 1]
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {{"N", 5}});
  auto in = randomInputs(m, dims, 2);
  auto out = run(m, dims, in);
  const auto &x = in[0].data;
  auto at = [&](int i) { return i < 0 || i >= 5 ? 0.0 : x[i]; };
  for (int i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(out[0].data[i], at(i - 1) + 10 * at(i + 1));
    for (int k = 0; k < 3; ++k)
      EXPECT_EQ(out[1].data[i * 3 + k], at(i + k - 1));
  }
}

TEST(Interpreter, Convolution) {
  auto module = parse(R"(
model conv {
  dim H, W
  input img: f32[H, W]
  param k: f32[3, 3]
  output y[r: H, c: W] = sum(dy, dx: k[dy, dx] * img[r + dy - 1, c + dx - 1])
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {{"H", 4}, {"W", 6}});
  auto in = randomInputs(m, dims, 3);
  auto out = run(m, dims, in);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{4, 6}));
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 6; ++c) {
      double expect = 0;
      for (int dy = 0; dy < 3; ++dy)
        for (int dx = 0; dx < 3; ++dx) {
          int y = r + dy - 1, x = c + dx - 1;
          if (y >= 0 && y < 4 && x >= 0 && x < 6)
            expect += in[1].data[dy * 3 + dx] * in[0].data[y * 6 + x];
        }
      EXPECT_NEAR(out[0].data[r * 6 + c], expect, kTol);
    }
}

TEST(Interpreter, Broadcasting) {
  auto module = parse(R"(
model bc {
  dim B, M, N
  input x: f32[B, 1, N]
  input y: f32[M, 1]
  input s: f32
  output z = x * y + s
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {{"B", 2}, {"M", 3}, {"N", 4}});
  auto in = randomInputs(m, dims, 4);
  auto out = run(m, dims, in);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{2, 3, 4}));
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int n = 0; n < 4; ++n)
        EXPECT_DOUBLE_EQ(out[0].data[(b * 3 + i) * 4 + n],
                         in[0].data[b * 4 + n] * in[1].data[i] + in[2].data[0]);
}

TEST(Interpreter, MatmulPromotesVectorsAndBroadcastsBatches) {
  auto module = parse(R"(
model mm {
  dim B, M, K, N
  input v: f32[K]
  input a: f32[M, K]
  input w: f32[K, N]
  input t: f32[B, M, K]
  output vw = v @ w
  output av = a @ v
  output vv = v @ v
  output tw = t @ w
  output at = a.T
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int B = 2, M = 3, K = 5, N = 4;
  auto dims = dimValues(m, {{"B", B}, {"M", M}, {"K", K}, {"N", N}});
  auto in = randomInputs(m, dims, 5);
  auto out = run(m, dims, in);
  const auto &v = in[0].data, &a = in[1].data, &w = in[2].data, &t = in[3].data;
  ASSERT_EQ(out[0].shape, std::vector<int64_t>{N});
  ASSERT_EQ(out[1].shape, std::vector<int64_t>{M});
  ASSERT_EQ(out[2].shape, std::vector<int64_t>{});
  ASSERT_EQ(out[3].shape, (std::vector<int64_t>{B, M, N}));
  ASSERT_EQ(out[4].shape, (std::vector<int64_t>{K, M}));
  for (int n = 0; n < N; ++n) {
    double s = 0;
    for (int k = 0; k < K; ++k)
      s += v[k] * w[k * N + n];
    EXPECT_NEAR(out[0].data[n], s, kTol);
  }
  for (int i = 0; i < M; ++i) {
    double s = 0;
    for (int k = 0; k < K; ++k)
      s += a[i * K + k] * v[k];
    EXPECT_NEAR(out[1].data[i], s, kTol);
  }
  double dot = 0;
  for (int k = 0; k < K; ++k)
    dot += v[k] * v[k];
  EXPECT_NEAR(out[2].data[0], dot, kTol);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < M; ++i)
      for (int n = 0; n < N; ++n) {
        double s = 0;
        for (int k = 0; k < K; ++k)
          s += t[(b * M + i) * K + k] * w[k * N + n];
        EXPECT_NEAR(out[3].data[(b * M + i) * N + n], s, kTol);
      }
  for (int k = 0; k < K; ++k)
    for (int i = 0; i < M; ++i)
      EXPECT_EQ(out[4].data[k * M + i], a[i * K + k]);
}

TEST(Interpreter, Reductions) {
  auto module = parse(R"(
model red {
  dim M, N
  input x: f32[M, N]
  output s[i] = sum(j: x[i, j])
  output mx[i] = max(j: x[i, j])
  output mn[j] = min(i: x[i, j])
  output me[i] = mean(j: x[i, j])
  output ax = max(x, axis = 1)
  output total = sum(x)
  output ax0 = mean(x, axis = 0)
  output sq = sum(i, j: x[i, j] * x[i, j])
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int M = 3, N = 5;
  auto dims = dimValues(m, {{"M", M}, {"N", N}});
  auto in = randomInputs(m, dims, 6);
  auto out = run(m, dims, in);
  const auto &x = in[0].data;
  double total = 0, squares = 0;
  for (int i = 0; i < M; ++i) {
    double s = 0, mx = -kInf;
    for (int j = 0; j < N; ++j) {
      s += x[i * N + j];
      mx = std::max(mx, x[i * N + j]);
      squares += x[i * N + j] * x[i * N + j];
    }
    total += s;
    EXPECT_NEAR(out[0].data[i], s, kTol);
    EXPECT_EQ(out[1].data[i], mx);
    EXPECT_NEAR(out[3].data[i], s / N, kTol);
    EXPECT_EQ(out[4].data[i], mx);
  }
  for (int j = 0; j < N; ++j) {
    double mn = kInf, s = 0;
    for (int i = 0; i < M; ++i) {
      mn = std::min(mn, x[i * N + j]);
      s += x[i * N + j];
    }
    EXPECT_EQ(out[2].data[j], mn);
    EXPECT_NEAR(out[6].data[j], s / M, kTol);
  }
  EXPECT_EQ(out[5].shape, std::vector<int64_t>{});
  EXPECT_NEAR(out[5].data[0], total, kTol);
  EXPECT_NEAR(out[7].data[0], squares, kTol);
}

TEST(Interpreter, EmptyReductions) {
  auto module = parse(R"(
model empty {
  dim N
  input x: f32[N]
  output s = sum(i: x[i])
  output hi = max(i: x[i])
  output lo = min(i: x[i])
  output avg = mean(i: x[i])
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {{"N", 0}});
  auto out = run(m, dims, {Tensor{{0}, {}}});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].data[0], 0.0);
  EXPECT_EQ(out[1].data[0], -kInf);
  EXPECT_EQ(out[2].data[0], kInf);
  EXPECT_TRUE(std::isnan(out[3].data[0]));
}

TEST(Interpreter, SubscriptOfAnExpression) {
  auto module = parse(R"(
model sub {
  dim M, K, N
  input a: f32[M, K]
  input b: f32[K, N]
  output e[i, j] = (a @ b)[i, j] * 2 - sum(k: a[i, k] * b[k, j])
  output f[i: M, j] = (a @ b)[i + 1, j]
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int M = 3, K = 4, N = 2;
  auto dims = dimValues(m, {{"M", M}, {"K", K}, {"N", N}});
  auto in = randomInputs(m, dims, 7);
  auto out = run(m, dims, in);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      auto ab = [&](int r) {
        if (r >= M)
          return 0.0;
        double s = 0;
        for (int k = 0; k < K; ++k)
          s += in[0].data[r * K + k] * in[1].data[k * N + j];
        return s;
      };
      EXPECT_NEAR(out[0].data[i * N + j], ab(i), kTol);
      EXPECT_NEAR(out[1].data[i * N + j], ab(i + 1), kTol);
    }
}

TEST(Interpreter, LayoutOperations) {
  auto module = parse(R"(
model layout {
  dim A, B, C
  input x: f32[A, B, C]
  input y: f32[A, B, 2]
  output p = transpose(x, [2, 0, 1])
  output r = reshape(x, [B, A * C])
  output c = concat(x, y, axis = 2)
  output t = x.T
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int A = 2, B = 3, C = 4;
  auto dims = dimValues(m, {{"A", A}, {"B", B}, {"C", C}});
  auto in = randomInputs(m, dims, 8);
  auto out = run(m, dims, in);
  const auto &x = in[0].data, &y = in[1].data;
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{C, A, B}));
  ASSERT_EQ(out[1].shape, (std::vector<int64_t>{B, A * C}));
  ASSERT_EQ(out[2].shape, (std::vector<int64_t>{A, B, C + 2}));
  ASSERT_EQ(out[3].shape, (std::vector<int64_t>{A, C, B}));
  EXPECT_EQ(out[1].data, x);
  for (int a = 0; a < A; ++a)
    for (int b = 0; b < B; ++b) {
      for (int c = 0; c < C; ++c) {
        double v = x[(a * B + b) * C + c];
        EXPECT_EQ(out[0].data[(c * A + a) * B + b], v);
        EXPECT_EQ(out[2].data[(a * B + b) * (C + 2) + c], v);
        EXPECT_EQ(out[3].data[(a * C + c) * B + b], v);
      }
      for (int c = 0; c < 2; ++c)
        EXPECT_EQ(out[2].data[(a * B + b) * (C + 2) + C + c], y[(a * B + b) * 2 + c]);
    }
}

TEST(Interpreter, HeadsLayoutAndRoundTrip) {
  auto module = parse(R"(
model hd {
  dim S, E = 12, H = 3
  input x: f32[S, E]
  output h = heads(x, H)
  output back = unheads(heads(x, H))
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {{"S", 5}});
  auto in = randomInputs(m, dims, 9);
  auto out = run(m, dims, in);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{3, 5, 4}));
  for (int h = 0; h < 3; ++h)
    for (int s = 0; s < 5; ++s)
      for (int d = 0; d < 4; ++d)
        EXPECT_EQ(out[0].data[(h * 5 + s) * 4 + d], in[0].data[s * 12 + h * 4 + d]);
  EXPECT_EQ(out[1].shape, in[0].shape);
  EXPECT_EQ(out[1].data, in[0].data);
}

TEST(Interpreter, TopkMaskKeepsLargestWithTiesToLowestIndex) {
  auto module = parse(R"(
model topk {
  dim N
  input x: f32[3, N]
  output y = topk_mask(x, 2)
  output all = topk_mask(x, 9)
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto dims = dimValues(m, {{"N", 5}});
  Tensor x = tensor({3, 5}, {1, 3, 3, 2, 3,     // ties: the first two 3s stay
                             0, 0, 0, 0, 0,     // all tied: indices 0 and 1
                             -kInf, 4, -1, 5, 2});
  auto out = run(m, dims, {x});
  std::vector<double> expect = {-kInf, 3, 3, -kInf, -kInf,
                                0, 0, -kInf, -kInf, -kInf,
                                -kInf, 4, -kInf, 5, -kInf};
  EXPECT_EQ(out[0].data, expect);
  EXPECT_EQ(out[1].data, x.data);  // K >= N keeps everything
}

TEST(Interpreter, SoftmaxRowsSumToOne) {
  auto module = parse(R"(
model sm {
  dim M, N
  input x: f32[M, N]
  output p = softmax(x * 10)
  output q = softmax(x, axis = 0)
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int M = 4, N = 6;
  auto dims = dimValues(m, {{"M", M}, {"N", N}});
  auto in = randomInputs(m, dims, 10);
  auto out = run(m, dims, in);
  const auto &x = in[0].data;
  for (int i = 0; i < M; ++i) {
    double sum = 0, denom = 0;
    for (int j = 0; j < N; ++j) {
      sum += out[0].data[i * N + j];
      denom += std::exp(10 * x[i * N + j]);
    }
    EXPECT_NEAR(sum, 1.0, kTol);
    for (int j = 0; j < N; ++j)
      EXPECT_NEAR(out[0].data[i * N + j], std::exp(10 * x[i * N + j]) / denom, kTol);
  }
  for (int j = 0; j < N; ++j) {
    double sum = 0;
    for (int i = 0; i < M; ++i)
      sum += out[1].data[i * N + j];
    EXPECT_NEAR(sum, 1.0, kTol);
  }
}

TEST(Interpreter, FullyMaskedRowGivesZeroNotNaN) {
  auto module = parse(R"(
model masked {
  dim S, D
  input x: f32[S, S]
  input v: f32[S, D]
  let s[i, j] = where(j < i, x[i, j], -inf)
  output o = softmax(s) @ v
  output p = softmax(s)
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int S = 4, D = 3;
  auto dims = dimValues(m, {{"S", S}, {"D", D}});
  auto in = randomInputs(m, dims, 11);
  auto out = run(m, dims, in);
  for (double v : out[0].data)
    EXPECT_FALSE(std::isnan(v));
  for (int d = 0; d < D; ++d)
    EXPECT_EQ(out[0].data[d], 0.0);  // row 0 sees no key
  for (int j = 0; j < S; ++j)
    EXPECT_EQ(out[1].data[j], 0.0);
  for (int i = 1; i < S; ++i) {
    double sum = 0;
    for (int j = 0; j < S; ++j)
      sum += out[1].data[i * S + j];
    EXPECT_NEAR(sum, 1.0, kTol);
    EXPECT_EQ(out[1].data[i * S + i], 0.0);
  }
  EXPECT_NEAR(out[0].data[1 * D + 2], in[1].data[0 * D + 2], kTol);  // row 1 sees key 0 only
}

TEST(Interpreter, NormsMatchPyTorchDefinitions) {
  auto module = parse(R"(
model norms {
  dim S, E
  input x: f32[S, E]
  param g: f32[E]
  param b: f32[E]
  output y = layernorm(x, g, b)
  output z = rmsnorm(x, g, eps = 1e-3)
  output w = layernorm(x, g, b, eps = 0.5)
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int S = 3, E = 7;
  auto dims = dimValues(m, {{"S", S}, {"E", E}});
  auto in = randomInputs(m, dims, 12);
  auto out = run(m, dims, in);
  const auto &x = in[0].data, &g = in[1].data, &b = in[2].data;
  for (int s = 0; s < S; ++s) {
    double mean = 0, sq = 0;
    for (int e = 0; e < E; ++e) {
      mean += x[s * E + e] / E;
      sq += x[s * E + e] * x[s * E + e] / E;
    }
    double var = 0;
    for (int e = 0; e < E; ++e)
      var += (x[s * E + e] - mean) * (x[s * E + e] - mean) / E;
    for (int e = 0; e < E; ++e) {
      double xv = x[s * E + e];
      EXPECT_NEAR(out[0].data[s * E + e], (xv - mean) / std::sqrt(var + 1e-5) * g[e] + b[e], 1e-10);
      EXPECT_NEAR(out[1].data[s * E + e], xv / std::sqrt(sq + 1e-3) * g[e], 1e-10);
      EXPECT_NEAR(out[2].data[s * E + e], (xv - mean) / std::sqrt(var + 0.5) * g[e] + b[e], 1e-10);
    }
  }
}

TEST(Interpreter, IntegerInputsAsSubscripts) {
  auto module = parse(R"(
model gather {
  dim N, V, E
  input ids: i32[N]
  param table: f32[V, E]
  output y[n, e] = table[ids[n], e]
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  const int N = 40, V = 10, E = 3;
  auto dims = dimValues(m, {{"N", N}, {"V", V}, {"E", E}});
  auto in = randomInputs(m, dims, 13);  // ids in [0, 16): some beyond V
  auto out = run(m, dims, in);
  int padded = 0;
  for (int n = 0; n < N; ++n) {
    int id = static_cast<int>(in[0].data[n]);
    padded += id >= V;
    for (int e = 0; e < E; ++e)
      EXPECT_EQ(out[0].data[n * E + e], id < V ? in[1].data[id * E + e] : 0.0);
  }
  EXPECT_GT(padded, 0);
}

TEST(Interpreter, RunTimeShapeErrors) {
  auto module = parse(R"(
model errs {
  dim E, H, K = 4
  input x: f32[E / H]
  output y = x * 2
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto err = runError(m, dimValues(m, {{"E", 10}, {"H", 3}}), {tensor({3}, {1, 2, 3})});
  EXPECT_NE(err.find("E/H"), std::string::npos) << err;
  EXPECT_NE(err.find("divide"), std::string::npos) << err;

  err = runError(m, dimValues(m, {{"E", 12}, {"H", 3}}), {tensor({5}, {1, 2, 3, 4, 5})});
  EXPECT_NE(err.find("input 'x'"), std::string::npos) << err;
  EXPECT_NE(err.find("expects [4]"), std::string::npos) << err;

  err = runError(m, dimValues(m, {{"E", 12}, {"H", 3}}), {tensor({4}, {1, 2, 3})});
  EXPECT_NE(err.find("3 values"), std::string::npos) << err;

  err = runError(m, dimValues(m, {{"E", 12}, {"H", 3}}), {});
  EXPECT_NE(err.find("takes 1 inputs"), std::string::npos) << err;

  err = runError(m, {12, 3}, {tensor({4}, {1, 2, 3, 4})});
  EXPECT_NE(err.find("3 dims but 2 values"), std::string::npos) << err;

  err = runError(m, {12, 3, 5}, {tensor({4}, {1, 2, 3, 4})});
  EXPECT_NE(err.find("fixed to 4"), std::string::npos) << err;

  err = runError(m, {12, -3, 4}, {tensor({4}, {1, 2, 3, 4})});
  EXPECT_NE(err.find("negative"), std::string::npos) << err;

  auto out = run(m, {12, 3, 4}, {tensor({4}, {1, 2, 3, 4})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, (std::vector<double>{2, 4, 6, 8}));
}

TEST(Interpreter, HugeExtentsAreRefusedNotCrashed) {
  auto module = parse(R"(
model big {
  dim N
  output y[i: N, j: N] = i + j
}
)");
  ASSERT_TRUE(module);
  const ast::Model &m = module->models[0];
  auto err = runError(m, {int64_t(1) << 20}, {});
  EXPECT_NE(err.find("2^31"), std::string::npos) << err;
  err = runError(m, {int64_t(1) << 40}, {});
  EXPECT_FALSE(err.empty());
  auto out = run(m, {3}, {});
  EXPECT_EQ(out[0].data, (std::vector<double>{0, 1, 2, 1, 2, 3, 2, 3, 4}));
  out = run(m, {0}, {});
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{0, 0}));
}

TEST(Interpreter, EvaluateShape) {
  Shape shape = {DimExpr::constant(4), DimExpr::symbol(0)};
  std::vector<int64_t> out;
  ASSERT_TRUE(evaluateShape(shape, {7}, out));
  EXPECT_EQ(out, (std::vector<int64_t>{4, 7}));
  auto negative = DimExpr::sub(DimExpr::symbol(0), DimExpr::constant(9));
  ASSERT_TRUE(negative);
  EXPECT_FALSE(evaluateShape({*negative}, {7}, out));
  auto half = DimExpr::div(DimExpr::symbol(0), DimExpr::constant(2));
  ASSERT_TRUE(half);
  EXPECT_FALSE(evaluateShape({*half}, {7}, out));
  ASSERT_TRUE(evaluateShape({*half}, {8}, out));
  EXPECT_EQ(out, std::vector<int64_t>{4});
  EXPECT_FALSE(evaluateShape({DimExpr::symbol(0), DimExpr::symbol(0)}, {int64_t(1) << 40}, out));
}

} // namespace
