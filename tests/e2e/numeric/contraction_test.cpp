//===- contraction_test.cpp - GEMM kernels against the reference ----------===//
//
// tests/e2e/models/contractions.attn compiled at -O0 (plain loops) and -O2
// (packed, register-tiled GEMM kernels with their prologues and epilogues),
// for the host
// and for AVX2 (-mcpu=haswell: other register tiles), all linked here and
// compared with the reference interpreter: random inputs over
// shapes of 1, primes and sizes that are no multiple of any tile; an empty
// depth; NaN and infinities; and bit-identical results on 1, 2 and 3
// threads.
//
//===----------------------------------------------------------------------===//

#include "contractions_avx2.h"
#include "contractions_o0.h"
#include "contractions_o2.h"

#include "ModelProblem.h"

namespace {

using namespace attnc_e2e;

struct Contraction {
  const char *model;
  Entries entries;
};

#define CONTRACTION(m)                                                                        \
  Contraction {                                                                               \
    #m, {                                                                                     \
      contractions_o0_##m##_run_tensors, contractions_o2_##m##_run_tensors,                   \
          contractions_avx2_##m##_run_tensors                                                 \
    }                                                                                         \
  }
const Contraction kContractions[] = {
    CONTRACTION(plain),        CONTRACTION(transposed),    CONTRACTION(batched),
    CONTRACTION(projection),   CONTRACTION(residual),      CONTRACTION(heads_scores),
    CONTRACTION(merged_heads), CONTRACTION(matrix_vector), CONTRACTION(vector_matrix),
    CONTRACTION(half_inputs),  CONTRACTION(comprehension), CONTRACTION(comprehension_batched),
    CONTRACTION(projected_heads), CONTRACTION(prologue), CONTRACTION(prologue_transposed),
    CONTRACTION(computed_operand), CONTRACTION(narrow_output), CONTRACTION(narrow_matrix_vector)};
#undef CONTRACTION

/// Every model's symbolic dims at one size: M, N, K (and the others) all
/// `size` but for a few offsets that keep the shapes from being square.
Dims dimsOfSize(int64_t m, int64_t n, int64_t k) {
  return {{"M", m}, {"N", n}, {"K", k}, {"B", 2}, {"S", m}, {"T", n}, {"E", k}, {"F", n}};
}

/// The element type the model's (first) output is stored in.
ast::DType outputType(const ast::Model &model) {
  for (const ast::Decl &d : model.decls)
    if (d.kind == ast::DeclKind::Output)
      return d.type.dtype;
  return ast::DType::F32;
}

class Contractions : public ::testing::TestWithParam<std::tuple<size_t, Opt>> {
protected:
  void SetUp() override {
    if (!hostRuns(opt()))
      GTEST_SKIP() << "this CPU lacks AVX2 or FMA";
  }
  const Contraction &contraction() const { return kContractions[std::get<0>(GetParam())]; }
  Opt opt() const { return std::get<1>(GetParam()); }
  Problem problem(const Dims &dims, uint64_t seed = 1) const {
    return Problem(findModel(ATTNC_CONTRACTIONS_FILE, contraction().model),
                   contraction().entries, dims, seed);
  }
};

TEST_P(Contractions, RandomInputsMatchTheReference) {
  // 1; primes; one past and one short of the tiles (8 rows, 48 and 16
  // columns, 128 and 256 deep); more than one block of rows and columns.
  const int64_t shapes[][3] = {{1, 1, 1},     {7, 13, 11},   {9, 49, 129},  {17, 47, 255},
                               {130, 50, 257}, {200, 193, 3}, {3, 400, 300}, {129, 17, 1}};
  for (const auto &s : shapes) {
    SCOPED_TRACE(testing::Message() << "M = " << s[0] << ", N = " << s[1] << ", K = " << s[2]);
    Problem p = problem(dimsOfSize(s[0], s[1], s[2]), static_cast<uint64_t>(s[0] + s[2]));
    EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0], outputType(p.model)));
  }
}

TEST_P(Contractions, ThreadCountDoesNotChangeTheResult) {
  Problem p = problem(dimsOfSize(150, 70, 300));
  ref::Tensor one = p.compiled(opt(), 1)[0];
  EXPECT_TRUE(identical(p.compiled(opt(), 2)[0], one));
  EXPECT_TRUE(identical(p.compiled(opt(), 3)[0], one));
}

const char *levelName(Opt opt) { return opt == O0 ? "O0" : opt == O2 ? "O2" : "O2_avx2"; }

std::string caseName(const ::testing::TestParamInfo<std::tuple<size_t, Opt>> &info) {
  return std::string(kContractions[std::get<0>(info.param)].model) + "_" +
         levelName(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Models, Contractions,
                         ::testing::Combine(::testing::Range<size_t>(0, std::size(kContractions)),
                                            ::testing::Values(O0, O2, O2Avx2)),
                         caseName);

//===----------------------------------------------------------------------===//
// Exact cases of the plain product and the projection
//===----------------------------------------------------------------------===//

class ContractionLevels : public ::testing::TestWithParam<Opt> {
protected:
  void SetUp() override {
    if (!hostRuns(GetParam()))
      GTEST_SKIP() << "this CPU lacks AVX2 or FMA";
  }
  Problem problem(const char *model, const Dims &dims) const {
    for (const Contraction &c : kContractions)
      if (std::string(c.model) == model)
        return Problem(findModel(ATTNC_CONTRACTIONS_FILE, model), c.entries, dims);
    ADD_FAILURE() << "no model " << model;
    return Problem(findModel(ATTNC_CONTRACTIONS_FILE, "plain"), kContractions[0].entries, dims);
  }
};

TEST_P(ContractionLevels, AnEmptyDepthGivesZeroAndTheEpilogueOfZero) {
  Problem plain = problem("plain", dimsOfSize(9, 50, 0));
  ref::Tensor c = plain.compiled(GetParam())[0];
  EXPECT_EQ(c.data, std::vector<double>(c.data.size(), 0.0));
  // gelu(0 + bias) = gelu(bias) for every row.
  Problem projection = problem("projection", {{"B", 2}, {"S", 5}, {"E", 0}, {"F", 50}});
  EXPECT_TRUE(matches(projection.compiled(GetParam())[0], projection.reference()[0]));
}

TEST_P(ContractionLevels, NaNAndInfinitiesReachTheirRowsAndColumnsOnly) {
  const int64_t M = 20, N = 70, K = 300;
  Problem p = problem("plain", dimsOfSize(M, N, K));
  // a[3, 100] = NaN: row 3 is NaN. b[5, 60] = +inf with a[:, 5] > 0:
  // column 60 is +inf (but row 3); b[7, 2] = -inf with a[:, 7] = 0: 0 * -inf
  // makes column 2 NaN.
  ref::Tensor &a = p.input("a"), &b = p.input("b");
  a.data[3 * K + 100] = NAN;
  for (int64_t i = 0; i < M; ++i) {
    a.data[i * K + 5] = 0.5;
    a.data[i * K + 7] = 0.0;
  }
  b.data[5 * N + 60] = INFINITY;
  b.data[7 * N + 2] = -INFINITY;
  ref::Tensor want = p.reference()[0], got = p.compiled(GetParam())[0];
  EXPECT_TRUE(matches(got, want));
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double v = got.data[i * N + j];
      if (i == 3 || j == 2)
        EXPECT_TRUE(std::isnan(v)) << i << ", " << j;
      else if (j == 60)
        EXPECT_EQ(v, INFINITY) << i << ", " << j;
      else
        EXPECT_TRUE(std::isfinite(v)) << i << ", " << j;
    }
}

INSTANTIATE_TEST_SUITE_P(Levels, ContractionLevels, ::testing::Values(O0, O2, O2Avx2),
                         [](const ::testing::TestParamInfo<Opt> &info) {
                           return std::string(levelName(info.param));
                         });

} // namespace
