//===- elementwise_test.cpp - Element-wise loop nests as Halide pipelines -===//
//
// tests/e2e/models/elementwise.attn compiled at -O0 (plain loops) and at
// -O2 --halide (element-wise loop nests, reductions and comprehensions as
// Halide pipelines), both
// compared with the reference interpreter: on random inputs, and on inputs
// whose first elements are NaN, infinities, signed zeros, huge and subnormal
// values, which must come out as the reference's (NaN where it has NaN, the
// same infinity), on one thread and on three.
//
//===----------------------------------------------------------------------===//

#include "elementwise_o0.h"
#include "elementwise_o2.h"

#include "ModelProblem.h"

#include <limits>

namespace {

using namespace attnc_e2e;

#define MODEL(m) CompiledModel{#m, {elementwise_o0_##m##_run_tensors, elementwise_o2_##m##_run_tensors}}
const CompiledModel kModels[] = {MODEL(chain), MODEL(extremes), MODEL(logs), MODEL(transposed),
                                 MODEL(reductions), MODEL(comprehensions)};
#undef MODEL

Problem problemOf(const CompiledModel &m, const Dims &dims) {
  return Problem(findModel(ATTNC_ELEMENTWISE_FILE, m.model), {m.entry[0], m.entry[1], nullptr},
                 dims);
}

class Elementwise : public ::testing::TestWithParam<std::tuple<size_t, Opt>> {
protected:
  const CompiledModel &model() const { return kModels[std::get<0>(GetParam())]; }
  Opt opt() const { return std::get<1>(GetParam()); }

  void expectAllMatch(Problem &p) {
    std::vector<ref::Tensor> want = p.reference();
    for (int32_t threads : {1, 3}) {
      std::vector<ref::Tensor> got = p.compiled(opt(), threads);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(matches(got[i], want[i])) << "output " << i << ", threads " << threads;
    }
  }
};

TEST_P(Elementwise, RandomInputsMatchTheReference) {
  // Odd extents: a vector's tail in every row.
  for (const Dims &dims : {Dims{{"N", 13}, {"C", 5}, {"M", 35}},
                           Dims{{"N", 1}, {"C", 1}, {"M", 1}},
                           Dims{{"N", 64}, {"C", 17}, {"M", 3}}}) {
    Problem p = problemOf(model(), dims);
    expectAllMatch(p);
  }
}

TEST_P(Elementwise, SpecialValuesMatchTheReference) {
  const double inf = std::numeric_limits<double>::infinity();
  const double special[] = {std::numeric_limits<double>::quiet_NaN(), inf, -inf, -0.0, 0.0,
                            1e18, -1e18, 1e-40, -1e-40, 3.5, -2.25};
  Problem p = problemOf(model(), {{"N", 11}, {"C", 3}, {"M", 17}});
  for (const char *name : {"x", "y", "z", "s"}) {
    if (!p.hasInput(name))
      continue;
    std::vector<double> &data = p.input(name).data;
    // Each input starts at a different place of the list, so that every
    // pair of special values meets in the binary operations.
    size_t shift = static_cast<size_t>(name[0]);
    for (size_t i = 0; i < data.size() && i < 121; ++i)
      data[i] = special[(i + shift * (i / 11)) % (sizeof special / sizeof special[0])];
  }
  expectAllMatch(p);
}

std::string caseName(const ::testing::TestParamInfo<std::tuple<size_t, Opt>> &info) {
  return std::string(kModels[std::get<0>(info.param)].model) +
         (std::get<1>(info.param) == O0 ? "_O0" : "_O2_halide");
}

INSTANTIATE_TEST_SUITE_P(Models, Elementwise,
                         ::testing::Combine(::testing::Range<size_t>(0, std::size(kModels)),
                                            ::testing::Values(O0, O2)),
                         caseName);

} // namespace
