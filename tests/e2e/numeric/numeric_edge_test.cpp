//===- numeric_edge_test.cpp - Numeric edge cases of attention variants ---===//
//
// tests/e2e/models/variants.attn is compiled twice at build time, with -O0
// (no fusion) and -O2 (fused online-softmax kernels), and both objects are
// linked here. Every test builds inputs, runs a variant's compiled
// NAME_run_tensors, and compares the outputs with the reference interpreter
// (double precision), which parses the same file at run time:
//  - within the tolerance of ARCHITECTURE.md where rounding is expected;
//  - bit for bit where the exact result is representable and the claim is
//    exactness (a fully masked row is 0, a single key gives its value row):
//    the reference computes those in double, where they are exact, and the
//    test also checks the reference's result against the inputs directly.
//
//===----------------------------------------------------------------------===//

#include "edge_o0.h"
#include "edge_o2.h"

#include "ModelProblem.h"

namespace {

using namespace attnc_e2e;

using Variant = CompiledModel;

#define VARIANT(m) Variant{#m, {edge_o0_##m##_run_tensors, edge_o2_##m##_run_tensors}}
const Variant kVariants[] = {
    VARIANT(sdpa),   VARIANT(padded), VARIANT(padded_sum), VARIANT(general),
    VARIANT(additive), VARIANT(gaussian), VARIANT(alibi), VARIANT(causal),
    VARIANT(causal_sum), VARIANT(window), VARIANT(softcap), VARIANT(topk),
    VARIANT(unbatched), VARIANT(grouped)};
#undef VARIANT

/// The problem of `variant` at `dims`.
Problem problemOf(const Variant &variant, const Dims &dims, uint64_t seed = 1) {
  return Problem(findModel(ATTNC_VARIANTS_FILE, variant.model),
                 {variant.entry[0], variant.entry[1], nullptr}, dims, seed);
}

/// Small dims with S and T not multiples of 64 and an odd head dim. H = 3
/// with one key/value head makes `grouped`'s head 2 read out of bounds.
Dims smallDims() {
  return {{"B", 2}, {"H", 3}, {"KH", 1}, {"S", 70}, {"T", 67}, {"D", 17}};
}

bool isUnbatched(const Variant &v) { return std::string(v.model) == "unbatched"; }

/// The flat index of element (b = 0, h = 0, row, column) of a [.., R, C]
/// tensor: batch and head 0 come first in row-major order.
size_t at(int64_t row, int64_t columns, int64_t column) {
  return static_cast<size_t>(row * columns + column);
}

//===----------------------------------------------------------------------===//
// The tests, one instance per variant and optimisation level
//===----------------------------------------------------------------------===//

class Edge : public ::testing::TestWithParam<std::tuple<size_t, Opt>> {
protected:
  const Variant &variant() const { return kVariants[std::get<0>(GetParam())]; }
  Opt opt() const { return std::get<1>(GetParam()); }
};

TEST_P(Edge, RandomInputsMatchTheReference) {
  Problem p = problemOf(variant(), smallDims());
  EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0]));
}

/// The variants with a padding mask (every one but kVariants[0], sdpa).
class MaskedEdge : public Edge {};

TEST_P(MaskedEdge, FullyMaskedRowsAreExactlyZero) {
  Problem p = problemOf(variant(), smallDims());
  ref::Tensor &len = p.input("kv_len");
  len.data.assign(len.data.size(), 0.0);
  if (!isUnbatched(variant()))
    len.data.back() = static_cast<double>(p.dim("T")); // the other batch keeps every key
  ref::Tensor want = p.reference()[0], got = p.compiled(opt())[0];
  const size_t perBatch = isUnbatched(variant()) ? want.data.size() : want.data.size() / 2;
  for (size_t i = 0; i < perBatch; ++i)
    ASSERT_EQ(want.data[i], 0.0) << "the reference must give 0 for a masked row";
  EXPECT_TRUE(identical(got, want, 0, perBatch)) << "fully masked rows";
  EXPECT_TRUE(matches(got, want));
}

TEST_P(MaskedEdge, OneUnmaskedKeyGivesExactlyItsValueRow) {
  Problem p = problemOf(variant(), smallDims());
  ref::Tensor &len = p.input("kv_len");
  len.data.assign(len.data.size(), 1.0);
  ref::Tensor want = p.reference()[0], got = p.compiled(opt())[0];
  // Each reference row is exactly 0 or exactly a row of v at key 0 (the
  // variant's own mask may hide key 0 too, as a window does for late rows).
  const ref::Tensor &v = p.input("v");
  const int64_t D = p.dim("D"), T = p.dim("T");
  std::vector<std::vector<double>> firstRows{std::vector<double>(D, 0.0)};
  for (size_t r = 0; r * D < v.data.size(); r += T)
    firstRows.emplace_back(v.data.begin() + r * D, v.data.begin() + (r + 1) * D);
  size_t kept = 0;
  for (size_t row = 0; row * D < want.data.size(); ++row) {
    std::vector<double> values(want.data.begin() + row * D, want.data.begin() + (row + 1) * D);
    auto match = std::find(firstRows.begin(), firstRows.end(), values);
    ASSERT_NE(match, firstRows.end())
        << "reference row " << row << " is neither 0 nor a value row";
    kept += match != firstRows.begin();
  }
  EXPECT_GT(kept, 0u);
  EXPECT_TRUE(identical(got, want));
}

TEST_P(Edge, OneKeyGivesExactlyItsValueRow) {
  // T = 1: one key for every row, whatever the variant.
  Dims dims = smallDims();
  dims["T"] = 1;
  Problem p = problemOf(variant(), dims);
  ref::Tensor want = p.reference()[0], got = p.compiled(opt())[0];
  EXPECT_TRUE(identical(got, want));
}

TEST_P(Edge, ScoresNearTenThousandDoNotOverflow) {
  // Scale one input so that scores reach about +-1e4 (exp overflows f32
  // beyond 88): only subtracting the row maximum keeps the result finite.
  // The scores' own spread is scaled too, so rows are peaked: a score of
  // 1e4 is only known to about 1e-3 in f32, which the tolerance allows only
  // where the weights are close to 0 or 1.
  Problem p = problemOf(variant(), smallDims());
  const std::string model = variant().model;
  std::vector<std::string> names{"q"};
  double factor = 2500; // dot products of 17 values in [-1, 1), / sqrt(17)
  if (model == "additive") {
    // 16 terms of w * tanh(...): scores of a few thousand. Each rounding
    // of a projection moves a tanh term by about 1e-7 of w, so with larger
    // w a row that is not peaked differs from the reference by how its
    // projections happen to round, not by how its softmax is computed.
    names = {"wv"};
    factor = 250;
  } else if (model == "gaussian") {
    names = {"q", "k"}; // -(q - k)^2 / 2 summed over 17 axes
    factor = 40;
  } else if (model == "general") {
    factor = 300;       // (q W) k^T: two products of 17 terms
  }
  for (const std::string &name : names)
    for (double &x : p.input(name).data)
      x *= factor;
  ref::Tensor want = p.reference()[0], got = p.compiled(opt())[0];
  EXPECT_EQ(nanCount(want), 0u);
  EXPECT_TRUE(matches(got, want));
}

TEST_P(Edge, NaNInAQueryReachesItsOwnRowOnly) {
  Problem p = problemOf(variant(), smallDims());
  const int64_t D = p.dim("D");
  p.input("q").data[at(1, D, 0)] = NAN; // b = 0, h = 0, query row 1
  ref::Tensor want = p.reference()[0], got = p.compiled(opt())[0];
  EXPECT_EQ(nanCount(want), static_cast<size_t>(D)) << "the reference: one row of NaN";
  EXPECT_TRUE(matches(got, want));
}

TEST_P(Edge, NaNInAKeyReachesTheRowsThatSeeIt) {
  Problem p = problemOf(variant(), smallDims());
  const int64_t D = p.dim("D");
  p.input("k").data[at(2, D, 0)] = NAN; // b = 0, h = 0, key 2
  ref::Tensor want = p.reference()[0], got = p.compiled(opt())[0];
  // Rows that cannot see key 2 (causal rows 0 and 1, a window's far rows,
  // rows whose top-k drops it) stay finite; the reference says which.
  EXPECT_GT(nanCount(want), 0u);
  if (!isUnbatched(variant()))
    EXPECT_LT(nanCount(want), want.data.size()) << "batch 1 never sees the key";
  EXPECT_TRUE(matches(got, want));
}

TEST_P(Edge, ThreadCountDoesNotChangeTheResult) {
  Dims dims = smallDims();
  dims["H"] = 3;
  dims["S"] = 200; // several query blocks per (b, h)
  Problem p = problemOf(variant(), dims);
  ref::Tensor one = p.compiled(opt(), 1)[0];
  for (int32_t threads : {2, 3, 8}) {
    SCOPED_TRACE("threads = " + std::to_string(threads));
    ref::Tensor many = p.compiled(opt(), threads)[0];
    EXPECT_TRUE(matches(many, one));
  }
  EXPECT_TRUE(matches(one, p.reference()[0]));
}

struct ShapeCase {
  const char *what;
  Dims dims;
};

/// Edge shapes of the tiled kernel and of its decode path.
std::vector<ShapeCase> shapeCases() {
  return {
      {"T = 1", {{"B", 2}, {"H", 2}, {"S", 5}, {"T", 1}, {"D", 8}}},
      {"S = 1", {{"B", 2}, {"H", 2}, {"S", 1}, {"T", 77}, {"D", 8}}},
      {"S = T = 1", {{"B", 1}, {"H", 1}, {"S", 1}, {"T", 1}, {"D", 8}}},
      {"T = 65", {{"B", 1}, {"H", 2}, {"S", 63}, {"T", 65}, {"D", 8}}},
      {"T = 129", {{"B", 1}, {"H", 1}, {"S", 130}, {"T", 129}, {"D", 8}}},
      {"D = 1", {{"B", 1}, {"H", 2}, {"S", 9}, {"T", 70}, {"D", 1}}},
      {"D = 3", {{"B", 1}, {"H", 2}, {"S", 9}, {"T", 70}, {"D", 3}}},
      {"D = 17", {{"B", 1}, {"H", 2}, {"S", 9}, {"T", 70}, {"D", 17}}},
      {"D = 64", {{"B", 1}, {"H", 2}, {"S", 9}, {"T", 70}, {"D", 64}}},
      {"D = 100", {{"B", 1}, {"H", 2}, {"S", 9}, {"T", 70}, {"D", 100}}},
      {"D = 128", {{"B", 1}, {"H", 2}, {"S", 9}, {"T", 70}, {"D", 128}}},
      // Tasks of at most 4 queries take them one at a time (the decode path):
      // a whole step, the last block of a longer one, and just above.
      {"S = 2, decode", {{"B", 2}, {"H", 3}, {"S", 2}, {"T", 201}, {"D", 17}}},
      {"S = 4, decode", {{"B", 1}, {"H", 2}, {"S", 4}, {"T", 64}, {"D", 100}}},
      {"S = 68, last block decoded", {{"B", 1}, {"H", 2}, {"S", 68}, {"T", 131}, {"D", 16}}},
      {"S = 5", {{"B", 1}, {"H", 2}, {"S", 5}, {"T", 97}, {"D", 33}}},
  };
}

TEST_P(Edge, Shapes) {
  for (const ShapeCase &c : shapeCases()) {
    SCOPED_TRACE(c.what);
    Dims dims = c.dims;
    dims["KH"] = 1;
    Problem p = problemOf(variant(), dims);
    EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0]));
  }
}

TEST_P(Edge, MoreThan65536Keys) {
  // Unfused, topk_mask's cost grows with T^2 per row (about 7 s here at
  // T = 70001, S = 3), so it takes a shorter row at -O0; fused, the
  // selection streams the keys.
  const bool slow = std::string(variant().model) == "topk" && opt() == O0;
  const int64_t T = slow ? 9000 : 70001;
  Problem p = problemOf(variant(), {{"B", 1}, {"H", 1}, {"KH", 1}, {"S", 3}, {"T", T}, {"D", 4}});
  EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0]));
}

/// "sdpa_O2": the variant of `Table` and the level of a test instance.
template <const Variant *Table>
std::string caseName(const ::testing::TestParamInfo<std::tuple<size_t, Opt>> &info) {
  return std::string(Table[std::get<0>(info.param)].model) +
         (std::get<1>(info.param) == O0 ? "_O0" : "_O2");
}

constexpr size_t kNumVariants = sizeof kVariants / sizeof kVariants[0];
INSTANTIATE_TEST_SUITE_P(Variants, Edge,
                         ::testing::Combine(::testing::Range<size_t>(0, kNumVariants),
                                            ::testing::Values(O0, O2)),
                         caseName<kVariants>);
INSTANTIATE_TEST_SUITE_P(Variants, MaskedEdge,
                         ::testing::Combine(::testing::Range<size_t>(1, kNumVariants),
                                            ::testing::Values(O0, O2)),
                         caseName<kVariants>);

//===----------------------------------------------------------------------===//
// Unnormalised weights: no softmax, fused without normalisation
//===----------------------------------------------------------------------===//

#define VARIANT(m) Variant{#m, {edge_o0_##m##_run_tensors, edge_o2_##m##_run_tensors}}
const Variant kUnnormalised[] = {VARIANT(sigmoid), VARIANT(relu_causal)};
#undef VARIANT

class Unnormalised : public ::testing::TestWithParam<std::tuple<size_t, Opt>> {
protected:
  const Variant &variant() const { return kUnnormalised[std::get<0>(GetParam())]; }
  Opt opt() const { return std::get<1>(GetParam()); }
};

TEST_P(Unnormalised, RandomInputsMatchTheReference) {
  Problem p = problemOf(variant(), smallDims());
  EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0]));
}

TEST_P(Unnormalised, Shapes) {
  for (const ShapeCase &c : shapeCases()) {
    SCOPED_TRACE(c.what);
    Problem p = problemOf(variant(), c.dims);
    EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0]));
  }
}

TEST_P(Unnormalised, MaskedKeysWeighExactlyZero) {
  // kv_len = 0 for sequence 0: every key weighs 0, so its rows are exactly
  // 0; sequence 1 keeps its keys.
  Problem p = problemOf(variant(), smallDims());
  ref::Tensor &len = p.input("kv_len");
  len.data = {0.0, static_cast<double>(p.dim("T"))};
  ref::Tensor want = p.reference()[0], got = p.compiled(opt())[0];
  const size_t perBatch = want.data.size() / 2;
  for (size_t i = 0; i < perBatch; ++i)
    ASSERT_EQ(want.data[i], 0.0) << "the reference must give 0 for a masked row";
  EXPECT_TRUE(identical(got, want, 0, perBatch)) << "fully masked rows";
  EXPECT_TRUE(matches(got, want));
}

TEST_P(Unnormalised, ThreadCountDoesNotChangeTheResult) {
  Dims dims = smallDims();
  dims["S"] = 200;
  Problem p = problemOf(variant(), dims);
  ref::Tensor one = p.compiled(opt(), 1)[0];
  for (int32_t threads : {2, 3}) {
    SCOPED_TRACE("threads = " + std::to_string(threads));
    EXPECT_TRUE(matches(p.compiled(opt(), threads)[0], one));
  }
  EXPECT_TRUE(matches(one, p.reference()[0]));
}

TEST_P(Unnormalised, MoreThan65536Keys) {
  Problem p = problemOf(variant(), {{"B", 1}, {"H", 1}, {"S", 3}, {"T", 70001}, {"D", 4}});
  p.input("kv_len").data = {70001.0};
  EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0]));
}

INSTANTIATE_TEST_SUITE_P(
    Variants, Unnormalised,
    ::testing::Combine(::testing::Range<size_t>(0, std::size(kUnnormalised)),
                       ::testing::Values(O0, O2)),
    caseName<kUnnormalised>);

//===----------------------------------------------------------------------===//
// Exact results that follow from a variant's own mask
//===----------------------------------------------------------------------===//

class EdgeOpt : public ::testing::TestWithParam<Opt> {};

const Variant &variantNamed(const std::string &name) {
  for (const Variant &v : kVariants)
    if (name == v.model)
      return v;
  ADD_FAILURE() << "no variant " << name;
  return kVariants[0];
}

TEST_P(EdgeOpt, CausalFirstRowIsExactlyTheFirstValueRow) {
  for (const char *name : {"causal", "causal_sum", "window"}) {
    SCOPED_TRACE(name);
    Problem p = problemOf(variantNamed(name), smallDims());
    ref::Tensor got = p.compiled(GetParam())[0];
    const ref::Tensor &v = p.input("v");
    const int64_t B = p.dim("B"), H = p.dim("H"), S = p.dim("S"), T = p.dim("T"),
                  D = p.dim("D");
    for (int64_t bh = 0; bh < B * H; ++bh)
      for (int64_t d = 0; d < D; ++d)
        ASSERT_EQ(got.data[(bh * S + 0) * D + d], v.data[(bh * T + 0) * D + d]);
  }
}

TEST_P(EdgeOpt, TopKWithOneRealKeyIsExact) {
  // kv_len = 2 keeps keys 0 and 1; the top 3 of a row then hold both plus a
  // masked one, so rows are finite blends; kv_len = 1 leaves key 0 alone.
  Problem p = problemOf(variantNamed("topk"), smallDims());
  ref::Tensor &len = p.input("kv_len");
  len.data = {1, 2};
  ref::Tensor want = p.reference()[0], got = p.compiled(GetParam())[0];
  EXPECT_TRUE(matches(got, want));
  EXPECT_TRUE(identical(got, want, 0, want.data.size() / 2)) << "batch 0, one real key";
}

TEST_P(EdgeOpt, TopKTiesGoToTheLowestKeys) {
  // Zero queries make every score of a row 0: the K = 3 kept keys are the
  // first three real ones, each weighing a third.
  Problem p = problemOf(variantNamed("topk"), {{"B", 2}, {"H", 2}, {"S", 70}, {"T", 150}, {"D", 5}});
  ref::Tensor &q = p.input("q");
  std::fill(q.data.begin(), q.data.end(), 0.0);
  ref::Tensor want = p.reference()[0], got = p.compiled(GetParam())[0];
  EXPECT_TRUE(matches(got, want));
  const ref::Tensor &v = p.input("v");
  const int64_t T = 150, D = 5, S = 70;
  for (int64_t bh = 0; bh < 4; ++bh)
    for (int64_t i = 0; i < S; ++i)
      for (int64_t d = 0; d < D; ++d) {
        double mean = 0;
        for (int64_t j = 0; j < 3; ++j)
          mean += v.data[(bh * T + j) * D + d] / 3;
        ASSERT_NEAR(got.data[(bh * S + i) * D + d], mean, 1e-5) << bh << " " << i << " " << d;
      }
}

TEST_P(EdgeOpt, TopKAtLeastTheRowKeepsEveryKey) {
  // K = 3 of T = 2 keys, and of T = 3: nothing is cut.
  for (int64_t T : {2, 3}) {
    Problem p = problemOf(variantNamed("topk"), {{"B", 1}, {"H", 2}, {"S", 5}, {"T", T}, {"D", 4}});
    EXPECT_TRUE(matches(p.compiled(GetParam())[0], p.reference()[0])) << "T = " << T;
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, EdgeOpt, ::testing::Values(O0, O2),
                         [](const ::testing::TestParamInfo<Opt> &info) {
                           return std::string(info.param == O0 ? "O0" : "O2");
                         });

} // namespace
