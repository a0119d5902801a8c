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

#include "attnc/Frontend/Frontend.h"
#include "attnc/Reference/Inputs.h"
#include "attnc/Reference/Interpreter.h"
#include "attnc/Reference/Storage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace attnc;

using RunTensorsFn = attnc_status (*)(const attnc_tensor *, size_t, const attnc_tensor *, size_t,
                                      attnc_tensor *, size_t, const attnc_exec *);

enum Opt { O0 = 0, O2 = 1 };

struct Variant {
  const char *model;
  RunTensorsFn entry[2]; // indexed by Opt
};

#define VARIANT(m) Variant{#m, {edge_o0_##m##_run_tensors, edge_o2_##m##_run_tensors}}
const Variant kVariants[] = {
    VARIANT(sdpa),   VARIANT(padded), VARIANT(padded_sum), VARIANT(general),
    VARIANT(additive), VARIANT(gaussian), VARIANT(alibi), VARIANT(causal),
    VARIANT(causal_sum), VARIANT(window), VARIANT(softcap), VARIANT(topk),
    VARIANT(unbatched), VARIANT(grouped)};
#undef VARIANT

const ast::Module &variantsFile() {
  static const std::unique_ptr<ast::Module> module = [] {
    std::ifstream in(ATTNC_VARIANTS_FILE, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::ostringstream diagnostics;
    auto m = parseAndCheck(ATTNC_VARIANTS_FILE, text.str(), FrontendOptions{}, diagnostics);
    if (!m)
      ADD_FAILURE() << "cannot check " << ATTNC_VARIANTS_FILE << ":\n" << diagnostics.str();
    return m;
  }();
  return *module;
}

const ast::Model &findModel(const std::string &name) {
  for (const ast::Model &m : variantsFile().models)
    if (m.name == name)
      return m;
  ADD_FAILURE() << "no model " << name;
  return variantsFile().models.front();
}

attnc_dtype abiDType(ast::DType t) {
  switch (t) {
  case ast::DType::F32: return ATTNC_F32;
  case ast::DType::F16: return ATTNC_F16;
  case ast::DType::BF16: return ATTNC_BF16;
  case ast::DType::I32: return ATTNC_I32;
  }
  return ATTNC_F32;
}

/// The dims of one run; a model takes the ones it declares as symbolic.
using Dims = std::map<std::string, int64_t>;

/// One model with its dims and inputs; runs the compiled code and the
/// reference on the same inputs.
class Problem {
public:
  Problem(const Variant &variant, const Dims &dims, uint64_t seed = 1)
      : variant(variant), model(findModel(variant.model)) {
    for (const ast::DimDecl &d : model.dims) {
      auto it = dims.find(d.name);
      dimValues.push_back(d.isFixed ? d.fixedValue : it != dims.end() ? it->second : -1);
      if (!d.isFixed && it == dims.end())
        ADD_FAILURE() << "no value for dim " << d.name;
    }
    uint64_t position = 0;
    for (const ast::Decl &d : model.decls) {
      if (!d.isTensorInput())
        continue;
      ref::Tensor t;
      std::vector<int64_t> shape;
      std::string error;
      EXPECT_TRUE(ref::evaluateShape(d.shape, dimValues, shape)) << d.name;
      ref::InputSpec spec;
      spec.seed = seed;
      EXPECT_TRUE(ref::makeInput(spec, d.dtype, shape, position++, t, error)) << error;
      inputs.push_back(std::move(t));
      inputDecls.push_back(&d);
    }
    // Lengths default to "every key is real".
    if (hasInput("kv_len"))
      std::fill(input("kv_len").data.begin(), input("kv_len").data.end(), dim("T"));
  }

  int64_t dim(const std::string &name) const {
    for (size_t i = 0; i < model.dims.size(); ++i)
      if (model.dims[i].name == name)
        return dimValues[i];
    ADD_FAILURE() << "model " << model.name << " has no dim " << name;
    return 0;
  }
  bool hasInput(const std::string &name) const {
    for (const ast::Decl *d : inputDecls)
      if (d->name == name)
        return true;
    return false;
  }
  ref::Tensor &input(const std::string &name) {
    for (size_t i = 0; i < inputDecls.size(); ++i)
      if (inputDecls[i]->name == name)
        return inputs[i];
    ADD_FAILURE() << "model " << model.name << " has no input " << name;
    return inputs.front();
  }

  /// Runs the compiled model; outputs read back as doubles. Output buffers
  /// start as all-ones bytes (NaN), so an element the kernel forgets to
  /// write is never mistaken for a result.
  std::vector<ref::Tensor> compiled(Opt opt, int32_t threads = 0) const {
    std::vector<std::vector<uint8_t>> inBytes, outBytes;
    std::vector<std::vector<int64_t>> outShapes;
    std::vector<attnc_tensor> ins, params, outs;
    inBytes.reserve(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const ast::Decl &d = *inputDecls[i];
      inBytes.push_back(ref::packStorage(inputs[i], d.dtype));
      attnc_tensor t{inBytes.back().data(), abiDType(d.dtype),
                     static_cast<int32_t>(inputs[i].shape.size()), inputs[i].shape.data(),
                     nullptr};
      (d.kind == ast::DeclKind::Input ? ins : params).push_back(t);
    }
    std::vector<const ast::Decl *> outDecls;
    for (const ast::Decl &d : model.decls)
      if (d.kind == ast::DeclKind::Output)
        outDecls.push_back(&d);
    outBytes.reserve(outDecls.size());
    outShapes.reserve(outDecls.size());
    for (const ast::Decl *d : outDecls) {
      std::vector<int64_t> shape;
      EXPECT_TRUE(ref::evaluateShape(d->type.shape, dimValues, shape));
      int64_t count = 1;
      for (int64_t e : shape)
        count *= e;
      outBytes.emplace_back(count * ref::storageBytes(d->type.dtype), 0xFF);
      outShapes.push_back(shape);
      outs.push_back({outBytes.back().data(), abiDType(d->type.dtype),
                      static_cast<int32_t>(shape.size()), outShapes.back().data(), nullptr});
    }
    attnc_exec exec{sizeof(attnc_exec), threads, nullptr};
    attnc_status s = variant.entry[opt](ins.data(), ins.size(), params.data(), params.size(),
                                        outs.data(), outs.size(), &exec);
    EXPECT_EQ(s, ATTNC_OK) << attnc_status_string(s) << ": " << attnc_last_error();
    std::vector<ref::Tensor> result(outDecls.size());
    for (size_t i = 0; i < outDecls.size(); ++i) {
      std::string error;
      EXPECT_TRUE(ref::unpackStorage(outBytes[i].data(), outBytes[i].size(),
                                     outDecls[i]->type.dtype, outShapes[i], result[i], error))
          << error;
    }
    return result;
  }

  std::vector<ref::Tensor> reference() const {
    std::vector<ref::Tensor> out;
    std::string error;
    EXPECT_TRUE(ref::evaluate(model, dimValues, inputs, out, error)) << error;
    return out;
  }

  const Variant &variant;
  const ast::Model &model;

private:
  std::vector<int64_t> dimValues;
  std::vector<ref::Tensor> inputs;
  std::vector<const ast::Decl *> inputDecls;
};

/// ARCHITECTURE.md's f32 tolerance; NaN must meet NaN and an infinity the
/// same infinity, element by element.
::testing::AssertionResult matches(const ref::Tensor &got, const ref::Tensor &want) {
  if (got.shape != want.shape || got.data.size() != want.data.size())
    return ::testing::AssertionFailure() << "shape " << ref::shapeString(got.shape)
                                         << ", expected " << ref::shapeString(want.shape);
  double maxRef = 0;
  for (double v : want.data)
    if (std::isfinite(v))
      maxRef = std::max(maxRef, std::fabs(v));
  const double tolerance = 1e-4 * (maxRef + 1);
  for (size_t i = 0; i < want.data.size(); ++i) {
    double a = got.data[i], b = want.data[i];
    bool ok = std::isnan(b)   ? std::isnan(a)
              : std::isinf(b) ? a == b
                              : std::isfinite(a) && std::fabs(a - b) <= tolerance;
    if (!ok)
      return ::testing::AssertionFailure()
             << "element " << i << " is " << a << ", the reference gives " << b
             << " (tolerance " << tolerance << ")";
  }
  return ::testing::AssertionSuccess();
}

/// Bit-for-bit equality of values (0 and -0 count as equal, NaN as NaN),
/// of elements [begin, end) or of all of them.
::testing::AssertionResult identical(const ref::Tensor &got, const ref::Tensor &want,
                                     size_t begin = 0, size_t end = SIZE_MAX) {
  if (got.data.size() != want.data.size())
    return ::testing::AssertionFailure() << "sizes differ";
  for (size_t i = begin; i < std::min(end, want.data.size()); ++i) {
    double a = got.data[i], b = want.data[i];
    if (!(a == b || (std::isnan(a) && std::isnan(b))))
      return ::testing::AssertionFailure()
             << "element " << i << " is " << a << ", expected exactly " << b;
  }
  return ::testing::AssertionSuccess();
}

size_t nanCount(const ref::Tensor &t) {
  return static_cast<size_t>(std::count_if(t.data.begin(), t.data.end(),
                                           [](double v) { return std::isnan(v); }));
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
  Problem p(variant(), smallDims());
  EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0]));
}

/// The variants with a padding mask (every one but kVariants[0], sdpa).
class MaskedEdge : public Edge {};

TEST_P(MaskedEdge, FullyMaskedRowsAreExactlyZero) {
  Problem p(variant(), smallDims());
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
  Problem p(variant(), smallDims());
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
  Problem p(variant(), dims);
  ref::Tensor want = p.reference()[0], got = p.compiled(opt())[0];
  EXPECT_TRUE(identical(got, want));
}

TEST_P(Edge, ScoresNearTenThousandDoNotOverflow) {
  // Scale one input so that scores reach about +-1e4 (exp overflows f32
  // beyond 88): only subtracting the row maximum keeps the result finite.
  // The scores' own spread is scaled too, so rows are peaked: a score of
  // 1e4 is only known to about 1e-3 in f32, which the tolerance allows only
  // where the weights are close to 0 or 1.
  Problem p(variant(), smallDims());
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
  Problem p(variant(), smallDims());
  const int64_t D = p.dim("D");
  p.input("q").data[at(1, D, 0)] = NAN; // b = 0, h = 0, query row 1
  ref::Tensor want = p.reference()[0], got = p.compiled(opt())[0];
  EXPECT_EQ(nanCount(want), static_cast<size_t>(D)) << "the reference: one row of NaN";
  EXPECT_TRUE(matches(got, want));
}

TEST_P(Edge, NaNInAKeyReachesTheRowsThatSeeIt) {
  Problem p(variant(), smallDims());
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
  Problem p(variant(), dims);
  ref::Tensor one = p.compiled(opt(), 1)[0];
  for (int32_t threads : {2, 3, 8}) {
    SCOPED_TRACE("threads = " + std::to_string(threads));
    ref::Tensor many = p.compiled(opt(), threads)[0];
    EXPECT_TRUE(matches(many, one));
  }
  EXPECT_TRUE(matches(one, p.reference()[0]));
}

TEST_P(Edge, Shapes) {
  struct Case {
    const char *what;
    Dims dims;
  };
  const Case cases[] = {
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
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.what);
    Dims dims = c.dims;
    dims["KH"] = 1;
    Problem p(variant(), dims);
    EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0]));
  }
}

TEST_P(Edge, MoreThan65536Keys) {
  // Unfused, topk_mask's cost grows with T^2 per row (about 7 s here at
  // T = 70001, S = 3), so it takes a shorter row at -O0; fused, the
  // selection streams the keys.
  const bool slow = std::string(variant().model) == "topk" && opt() == O0;
  const int64_t T = slow ? 9000 : 70001;
  Problem p(variant(), {{"B", 1}, {"H", 1}, {"KH", 1}, {"S", 3}, {"T", T}, {"D", 4}});
  EXPECT_TRUE(matches(p.compiled(opt())[0], p.reference()[0]));
}

std::string caseName(const ::testing::TestParamInfo<std::tuple<size_t, Opt>> &info) {
  return std::string(kVariants[std::get<0>(info.param)].model) +
         (std::get<1>(info.param) == O0 ? "_O0" : "_O2");
}

constexpr size_t kNumVariants = sizeof kVariants / sizeof kVariants[0];
INSTANTIATE_TEST_SUITE_P(Variants, Edge,
                         ::testing::Combine(::testing::Range<size_t>(0, kNumVariants),
                                            ::testing::Values(O0, O2)),
                         caseName);
INSTANTIATE_TEST_SUITE_P(Variants, MaskedEdge,
                         ::testing::Combine(::testing::Range<size_t>(1, kNumVariants),
                                            ::testing::Values(O0, O2)),
                         caseName);

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
    Problem p(variantNamed(name), smallDims());
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
  Problem p(variantNamed("topk"), smallDims());
  ref::Tensor &len = p.input("kv_len");
  len.data = {1, 2};
  ref::Tensor want = p.reference()[0], got = p.compiled(GetParam())[0];
  EXPECT_TRUE(matches(got, want));
  EXPECT_TRUE(identical(got, want, 0, want.data.size() / 2)) << "batch 0, one real key";
}

TEST_P(EdgeOpt, TopKTiesGoToTheLowestKeys) {
  // Zero queries make every score of a row 0: the K = 3 kept keys are the
  // first three real ones, each weighing a third.
  Problem p(variantNamed("topk"), {{"B", 2}, {"H", 2}, {"S", 70}, {"T", 150}, {"D", 5}});
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
    Problem p(variantNamed("topk"), {{"B", 1}, {"H", 2}, {"S", 5}, {"T", T}, {"D", 4}});
    EXPECT_TRUE(matches(p.compiled(GetParam())[0], p.reference()[0])) << "T = " << T;
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, EdgeOpt, ::testing::Values(O0, O2),
                         [](const ::testing::TestParamInfo<Opt> &info) {
                           return std::string(info.param == O0 ? "O0" : "O2");
                         });

} // namespace
