//===- InputsTest.cpp - Deterministic input generation ----------*- C++ -*-===//

#include "attnc/Reference/Inputs.h"
#include "attnc/Reference/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>

using namespace attnc;
using namespace attnc::ref;

namespace {

Tensor generate(const std::string &specText, ast::DType dtype, std::vector<int64_t> shape,
                uint64_t position) {
  InputSpec spec;
  std::string error;
  EXPECT_TRUE(parseInputSpec(specText, spec, error)) << error;
  Tensor t;
  EXPECT_TRUE(makeInput(spec, dtype, shape, position, t, error)) << error;
  return t;
}

TEST(Inputs, ParsesSpecs) {
  InputSpec spec;
  std::string error;
  ASSERT_TRUE(parseInputSpec("random:42", spec, error));
  EXPECT_EQ(spec.kind, InputSpec::Kind::Random);
  EXPECT_EQ(spec.seed, 42u);
  ASSERT_TRUE(parseInputSpec("random:18446744073709551615", spec, error));
  EXPECT_EQ(spec.seed, UINT64_MAX);
  ASSERT_TRUE(parseInputSpec("zeros", spec, error));
  EXPECT_EQ(spec.kind, InputSpec::Kind::Zeros);
  ASSERT_TRUE(parseInputSpec("@data/x.npy", spec, error));
  EXPECT_EQ(spec.kind, InputSpec::Kind::File);
  EXPECT_EQ(spec.path, "data/x.npy");
  for (const char *bad : {"random:", "random:-1", "random:18446744073709551616", "random:1x",
                          "ones", "@", "", "Random:1"}) {
    EXPECT_FALSE(parseInputSpec(bad, spec, error)) << bad;
    EXPECT_FALSE(error.empty());
  }
}

TEST(Inputs, RandomIsDeterministicAndPositionDependent) {
  Tensor a = generate("random:7", ast::DType::F32, {4, 8}, 0);
  Tensor b = generate("random:7", ast::DType::F32, {4, 8}, 0);
  Tensor c = generate("random:7", ast::DType::F32, {4, 8}, 1);
  Tensor d = generate("random:8", ast::DType::F32, {4, 8}, 0);
  EXPECT_EQ(a.data, b.data);
  EXPECT_NE(a.data, c.data);
  EXPECT_NE(a.data, d.data);
  // The stream does not depend on the shape: a longer tensor extends it.
  Tensor longer = generate("random:7", ast::DType::F32, {40}, 0);
  EXPECT_TRUE(std::equal(a.data.begin(), a.data.end(), longer.data.begin()));
}

TEST(Inputs, RandomValuesArePinned) {
  // Pinned so that a change of generator (which would silently change every
  // test's data) is noticed.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ull);
}

TEST(Inputs, FloatRangesAreExactInStorage) {
  for (ast::DType dtype : {ast::DType::F32, ast::DType::F16, ast::DType::BF16}) {
    Tensor t = generate("random:3", dtype, {10000}, 2);
    double lo = 1, hi = -1, sum = 0;
    for (double v : t.data) {
      EXPECT_EQ(roundToStorage(v, dtype), v);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    EXPECT_GE(lo, -1.0);
    EXPECT_LT(hi, 1.0);
    EXPECT_LT(lo, -0.99);
    EXPECT_GT(hi, 0.98);
    EXPECT_NEAR(sum / t.data.size(), 0.0, 0.05);
  }
}

TEST(Inputs, IntegersAreInZeroToSixteen) {
  Tensor t = generate("random:5", ast::DType::I32, {2000}, 0);
  std::set<double> seen(t.data.begin(), t.data.end());
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(*seen.begin(), 0.0);
  EXPECT_EQ(*seen.rbegin(), 15.0);
}

TEST(Inputs, Zeros) {
  Tensor t = generate("zeros", ast::DType::BF16, {3, 0}, 0);
  EXPECT_TRUE(t.data.empty());
  t = generate("zeros", ast::DType::F32, {}, 0);
  EXPECT_EQ(t.data, std::vector<double>{0.0});
}

TEST(Inputs, SizeLimits) {
  InputSpec spec;
  Tensor t;
  std::string error;
  EXPECT_FALSE(makeInput(spec, ast::DType::F32, {1 << 20, 1 << 20}, 0, t, error));
  EXPECT_NE(error.find("2^31"), std::string::npos) << error;
  EXPECT_FALSE(makeInput(spec, ast::DType::F32, {-1}, 0, t, error));
}

TEST(Inputs, FromFileRoundsAndChecks) {
  std::string path = ::testing::TempDir() + "/attnc_inputs_test.npy";
  std::string error;
  ASSERT_TRUE(writeNpy(path, Tensor{{3}, {0.1, 1.5, -2.0}}, NpyType::F32, error)) << error;
  Tensor bf = generate("@" + path, ast::DType::BF16, {3}, 0);
  EXPECT_EQ(bf.data[0], bf16BitsToDouble(doubleToBF16Bits(static_cast<double>(0.1f))));
  EXPECT_EQ(bf.data[1], 1.5);

  InputSpec spec;
  ASSERT_TRUE(parseInputSpec("@" + path, spec, error));
  Tensor t;
  EXPECT_FALSE(makeInput(spec, ast::DType::F32, {4}, 0, t, error));
  EXPECT_NE(error.find("has shape [3] but the model expects [4]"), std::string::npos) << error;
  EXPECT_FALSE(makeInput(spec, ast::DType::I32, {3}, 0, t, error));
  EXPECT_NE(error.find("non-integer"), std::string::npos) << error;

  ASSERT_TRUE(writeNpy(path, Tensor{{2}, {3, 9}}, NpyType::I32, error));
  ASSERT_TRUE(makeInput(spec, ast::DType::I32, {2}, 0, t, error)) << error;
  EXPECT_EQ(t.data, (std::vector<double>{3, 9}));
  std::remove(path.c_str());
}

} // namespace
