//===- run_tensors_test.cpp - attnc_model_run_tensors: inferred shapes ----===//

#include "test_models.h"

#include <numeric>

using namespace attnc_test;

namespace {

class RunTensors : public ::testing::Test {
protected:
  void SetUp() override {
    std::iota(x.begin(), x.end(), 0.0f);
    std::iota(y.begin(), y.end(), 1.0f);
    inputs = {tensor(x.data(), ATTNC_F32, xShape), tensor(y.data(), ATTNC_F32, yShape)};
    params = {tensor(w.data(), ATTNC_F32, wShape)};
    outputs = {tensor(o.data(), ATTNC_F32, oShape), tensor(&total, ATTNC_F32, scalar)};
  }

  attnc_status run(const attnc_exec *exec = nullptr) {
    return model.runTensors(addMulEntry, inputs, params, outputs, exec);
  }

  Model model = addMulModel();
  // B = 2, S = 3 (E = 4 is fixed).
  std::vector<float> x = std::vector<float>(24), y = std::vector<float>(24),
                     o = std::vector<float>(24, -1), w{1, 2, 3, 4};
  float total = 0;
  std::vector<int64_t> xShape{2, 3, 4}, yShape{2, 3, 4}, wShape{4}, oShape{2, 3, 4}, scalar{};
  std::vector<attnc_tensor> inputs, params, outputs;
};

TEST_F(RunTensors, InfersDimsAndComputes) {
  EXPECT_SUCCESS(run());
  EXPECT_EQ(received().dimValues, (std::vector<int64_t>{2, 3, 4}));
  float sum = 0;
  for (size_t i = 0; i < o.size(); ++i) {
    EXPECT_EQ(o[i], x[i] + y[i] * w[i % 4]);
    sum += o[i];
  }
  EXPECT_EQ(total, sum);
  ASSERT_EQ(received().tensors.size(), 5u);
  EXPECT_EQ(received().tensors[3].aligned, static_cast<void *>(o.data()));
  EXPECT_EQ(received().tensors[3].strides, (std::vector<int64_t>{12, 4, 1}));
  EXPECT_EQ(received().tensors[4].aligned, static_cast<void *>(&total));
}

TEST_F(RunTensors, ExplicitDenseStridesAreAccepted) {
  std::vector<int64_t> dense{12, 4, 1}, one{1};
  inputs[0] = tensor(x.data(), ATTNC_F32, xShape, &dense);
  params[0] = tensor(w.data(), ATTNC_F32, wShape, &one);
  outputs[0] = tensor(o.data(), ATTNC_F32, oShape, &dense);
  EXPECT_SUCCESS(run());
  EXPECT_EQ(received().tensors[0].strides, dense);
}

TEST_F(RunTensors, StrideOfAnExtentOneAxisIsIgnored) {
  // x: [1, 6, 4] (B = 1) with any stride on axis 0, as PyTorch may give.
  std::vector<int64_t> shape{1, 6, 4}, strides{999, 4, 1};
  xShape = yShape = oShape = shape;
  SetUp();
  inputs[0] = tensor(x.data(), ATTNC_F32, xShape, &strides);
  EXPECT_SUCCESS(run());
  // The kernel always gets dense strides.
  EXPECT_EQ(received().tensors[0].strides, (std::vector<int64_t>{24, 4, 1}));
}

TEST_F(RunTensors, EmptyTensorsMayHaveNullDataAndAnyStrides) {
  std::vector<int64_t> empty{0, 3, 4}, odd{7, 7, 7};
  xShape = yShape = oShape = empty;
  SetUp();
  inputs[0] = tensor(nullptr, ATTNC_F32, xShape, &odd);
  inputs[1].data = nullptr;
  outputs[0].data = nullptr;
  entryCalls() = 0;
  EXPECT_SUCCESS(run());
  EXPECT_EQ(entryCalls(), 1);
  EXPECT_EQ(received().dimValues, (std::vector<int64_t>{0, 3, 4}));
}

TEST_F(RunTensors, OutputsAreWrittenInPlaceEvenWhenAliasingAnInput) {
  std::vector<float> expected(24);
  for (size_t i = 0; i < 24; ++i)
    expected[i] = x[i] + y[i] * w[i % 4];
  outputs[0].data = x.data();
  EXPECT_SUCCESS(run());
  EXPECT_EQ(x, expected);
}

//===----------------------------------------------------------------------===//
// Misuse: counts and arrays
//===----------------------------------------------------------------------===//

TEST_F(RunTensors, TooFewInputs) {
  inputs.pop_back();
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT, "model 'addmul' has 2 inputs, got 1");
}

TEST_F(RunTensors, TooManyParams) {
  params.push_back(params[0]);
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT, "model 'addmul' has 1 param, got 2");
}

TEST_F(RunTensors, NoOutputs) {
  outputs.clear();
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT, "model 'addmul' has 2 outputs, got 0");
}

TEST_F(RunTensors, NullInputArray) {
  EXPECT_FAILURE(attnc_model_run_tensors(model.sig.data(), model.strings.c_str(), addMulEntry,
                                         nullptr, 2, params.data(), 1, outputs.data(), 2,
                                         nullptr),
                 ATTNC_ERR_NULL_POINTER, "the input array is NULL, but its count is 2");
}

TEST_F(RunTensors, NullParamArray) {
  EXPECT_FAILURE(attnc_model_run_tensors(model.sig.data(), model.strings.c_str(), addMulEntry,
                                         inputs.data(), 2, nullptr, 1, outputs.data(), 2,
                                         nullptr),
                 ATTNC_ERR_NULL_POINTER, "the param array is NULL");
}

TEST_F(RunTensors, NullOutputArray) {
  EXPECT_FAILURE(attnc_model_run_tensors(model.sig.data(), model.strings.c_str(), addMulEntry,
                                         inputs.data(), 2, params.data(), 1, nullptr, 2,
                                         nullptr),
                 ATTNC_ERR_NULL_POINTER, "the output array is NULL");
}

//===----------------------------------------------------------------------===//
// Misuse: one tensor on its own
//===----------------------------------------------------------------------===//

TEST_F(RunTensors, UnknownDtype) {
  inputs[1].dtype = static_cast<attnc_dtype>(7);
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT, "input 'y': unknown dtype 7");
}

TEST_F(RunTensors, WrongDtype) {
  inputs[1].dtype = ATTNC_F16;
  EXPECT_FAILURE(run(), ATTNC_ERR_DTYPE_MISMATCH,
                 "input 'y': dtype is f16, the model expects f32");
}

TEST_F(RunTensors, WrongParamDtype) {
  params[0].dtype = ATTNC_BF16;
  EXPECT_FAILURE(run(), ATTNC_ERR_DTYPE_MISMATCH, "param 'w': dtype is bf16");
}

TEST_F(RunTensors, WrongRank) {
  inputs[0].rank = 2;
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH,
                 "input 'x': rank is 2, the model expects 3 (f32[B, S, E])");
}

TEST_F(RunTensors, NegativeRank) {
  outputs[0].rank = -1;
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH, "output 'o': rank is -1");
}

TEST_F(RunTensors, ScalarGivenARank) {
  outputs[1] = tensor(&total, ATTNC_F32, wShape);
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH,
                 "output 'total': rank is 1, the model expects 0 (f32[])");
}

TEST_F(RunTensors, NullShape) {
  params[0].shape = nullptr;
  EXPECT_FAILURE(run(), ATTNC_ERR_NULL_POINTER, "param 'w': shape is NULL (rank 1)");
}

TEST_F(RunTensors, NegativeExtent) {
  std::vector<int64_t> bad{2, -3, 4};
  inputs[0].shape = bad.data();
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT,
                 "input 'x': axis 1 is -3, extents must be >= 0");
}

TEST_F(RunTensors, ShapeOverflow) {
  std::vector<int64_t> huge{INT64_C(1) << 40, INT64_C(1) << 40, 4};
  inputs[0].shape = huge.data();
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT,
                 "input 'x': shape [1099511627776, 1099511627776, 4] is too large");
}

TEST_F(RunTensors, StrideOverflowOfAnEmptyTensor) {
  // No element, but the outer stride would still not fit.
  std::vector<int64_t> huge{0, INT64_C(1) << 40, INT64_C(1) << 40};
  inputs[0].shape = huge.data();
  inputs[0].data = nullptr;
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT, "overflows int64");
}

TEST_F(RunTensors, TransposedStrides) {
  std::vector<int64_t> transposed{12, 1, 3};
  inputs[0].strides = transposed.data();
  EXPECT_FAILURE(run(), ATTNC_ERR_UNSUPPORTED,
                 "input 'x': strides [12, 1, 3] are not dense row-major for shape [2, 3, 4] "
                 "(axis 2 has stride 3, expected 1)");
}

TEST_F(RunTensors, PaddedRowStrides) {
  std::vector<int64_t> padded{24, 8, 1};
  outputs[0].strides = padded.data();
  EXPECT_FAILURE(run(), ATTNC_ERR_UNSUPPORTED,
                 "output 'o': strides [24, 8, 1] are not dense row-major");
}

TEST_F(RunTensors, BroadcastStrides) {
  std::vector<int64_t> zero{0};
  params[0].strides = zero.data();
  EXPECT_FAILURE(run(), ATTNC_ERR_UNSUPPORTED, "param 'w': strides [0]");
}

TEST_F(RunTensors, NullInputData) {
  inputs[0].data = nullptr;
  EXPECT_FAILURE(run(), ATTNC_ERR_NULL_POINTER, "input 'x' is NULL (it has 24 elements)");
}

TEST_F(RunTensors, NullParamData) {
  params[0].data = nullptr;
  EXPECT_FAILURE(run(), ATTNC_ERR_NULL_POINTER, "param 'w' is NULL");
}

TEST_F(RunTensors, NullScalarOutputData) {
  outputs[1].data = nullptr;
  EXPECT_FAILURE(run(), ATTNC_ERR_NULL_POINTER, "output 'total' is NULL (it has 1 element)");
}

//===----------------------------------------------------------------------===//
// Misuse: tensors against each other and against the model
//===----------------------------------------------------------------------===//

TEST_F(RunTensors, SymbolicDimDisagreesBetweenInputs) {
  std::vector<int64_t> a{1, 4096, 4}, b{1, 5000, 4};
  inputs[0].shape = a.data();
  inputs[1].shape = b.data();
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH,
                 "input 'y': axis 1 is 5000, dim S is 4096 (from input 'x' axis 1)");
}

TEST_F(RunTensors, SymbolicDimDisagreesWithAnOutput) {
  std::vector<int64_t> b{3, 3, 4};
  outputs[0].shape = b.data();
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH,
                 "output 'o': axis 0 is 3, dim B is 2 (from input 'x' axis 0)");
}

TEST_F(RunTensors, FixedDimViolatedByAnInput) {
  std::vector<int64_t> b{2, 3, 5};
  inputs[0].shape = b.data();
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH, "input 'x': axis 2 is 5, dim E is fixed at 4");
}

TEST_F(RunTensors, FixedDimViolatedByAParam) {
  std::vector<int64_t> b{5};
  params[0].shape = b.data();
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH, "param 'w': axis 0 is 5, dim E is fixed at 4");
}

TEST_F(RunTensors, BadExecStructSize) {
  attnc_exec exec{7, 1, nullptr, nullptr, 0};
  EXPECT_FAILURE(run(&exec), ATTNC_ERR_INVALID_ARGUMENT, "exec->struct_size is 7");
}

TEST_F(RunTensors, BadExecThreads) {
  attnc_exec exec{sizeof exec, -1, nullptr, nullptr, 0};
  EXPECT_FAILURE(run(&exec), ATTNC_ERR_INVALID_ARGUMENT, "exec->num_threads is -1");
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class SplitTensors : public ::testing::Test {
protected:
  void SetUp() override { expectedRanks() = {2, 1, 1, 1}; }

  /// N = 6, G = 5 (H = 2).
  attnc_status run() {
    std::vector<attnc_tensor> in = {tensor(buf, ATTNC_F32, aShape), tensor(buf, ATTNC_I32, gShape),
                                    tensor(buf, ATTNC_F16, bShape)};
    std::vector<attnc_tensor> out = {tensor(buf, ATTNC_F32, oShape)};
    return model.runTensors(recordingEntry, in, {}, out);
  }

  Model model = splitModel();
  float buf[128] = {};
  std::vector<int64_t> aShape{6, 10}, gShape{5}, bShape{3}, oShape{7};
};

TEST_F(SplitTensors, EvaluatesEveryOtherAxis) {
  EXPECT_SUCCESS(run());
  EXPECT_EQ(received().dimValues, (std::vector<int64_t>{6, 5, 2}));
  EXPECT_EQ(received().tensors[2].sizes, std::vector<int64_t>{3});
}

TEST_F(SplitTensors, ProductAxisWrong) {
  aShape = {6, 9};
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH,
                 "input 'a': axis 1 is 9, expected G * H = 10 (with N = 6, G = 5)");
}

TEST_F(SplitTensors, QuotientAxisWrong) {
  bShape = {4};
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH, "input 'b': axis 0 is 4, expected N / H = 3");
}

TEST_F(SplitTensors, OutputAxisWrong) {
  oShape = {6};
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH, "output 'o': axis 0 is 6, expected N + 1 = 7");
}

TEST_F(SplitTensors, InexactDivisionFailsTheCheck) {
  aShape = {7, 10};
  EXPECT_FAILURE(run(), ATTNC_ERR_SHAPE_MISMATCH,
                 "shape check 'N / H' does not divide exactly: 7 is not a multiple of 2");
}

TEST(RunTensorsExpressions, ExtentOverflowFromInferredDims) {
  ModelBuilder b("wide");
  Expr M = b.dim("M"), N = b.dim("N");
  b.input("m", ATTNC_F32, {M, lit(0)}).input("n", ATTNC_F32, {N, lit(0)});
  b.output("o", ATTNC_F32, {M * N, lit(0)});
  Model m = b.build();
  expectedRanks() = {2, 2, 2};
  std::vector<int64_t> big{INT64_C(1) << 40, 0}, out{0, 0};
  std::vector<attnc_tensor> in = {tensor(nullptr, ATTNC_F32, big), tensor(nullptr, ATTNC_F32, big)};
  std::vector<attnc_tensor> outs = {tensor(nullptr, ATTNC_F32, out)};
  EXPECT_FAILURE(m.runTensors(recordingEntry, in, {}, outs), ATTNC_ERR_INVALID_ARGUMENT,
                 "output 'o': axis 0 extent 'M * N' overflows int64");
}

TEST(RunTensorsExpressions, ConstantAxisWrong) {
  ModelBuilder b("three");
  b.input("x", ATTNC_F32, {lit(3)}).output("y", ATTNC_F32, {lit(3)});
  Model m = b.build();
  float buf[4] = {};
  std::vector<int64_t> three{3}, four{4};
  std::vector<attnc_tensor> in = {tensor(buf, ATTNC_F32, four)};
  std::vector<attnc_tensor> out = {tensor(buf, ATTNC_F32, three)};
  EXPECT_FAILURE(m.runTensors(recordingEntry, in, {}, out), ATTNC_ERR_SHAPE_MISMATCH,
                 "input 'x': axis 0 is 4, expected 3");
}

TEST(RunTensorsExpressions, NegativeExtentFromInferredDims) {
  ModelBuilder b("trim");
  Expr N = b.dim("N");
  b.input("x", ATTNC_F32, {N}).output("y", ATTNC_F32, {N - 3});
  Model m = b.build();
  float buf[4] = {};
  std::vector<int64_t> two{2}, zero{0};
  std::vector<attnc_tensor> in = {tensor(buf, ATTNC_F32, two)};
  std::vector<attnc_tensor> out = {tensor(buf, ATTNC_F32, zero)};
  EXPECT_FAILURE(m.runTensors(recordingEntry, in, {}, out), ATTNC_ERR_SHAPE_MISMATCH,
                 "output 'y': axis 0 extent 'N - 3' is negative (-1)");
}

TEST(RunTensorsExpressions, DimThatNoAxisNames) {
  ModelBuilder b("sum");
  Expr S = b.dim("S"), T = b.dim("T");
  b.input("x", ATTNC_F32, {S + T}).output("y", ATTNC_F32, {S});
  Model m = b.build();
  float buf[8] = {};
  std::vector<int64_t> five{5}, two{2};
  std::vector<attnc_tensor> in = {tensor(buf, ATTNC_F32, five)};
  std::vector<attnc_tensor> out = {tensor(buf, ATTNC_F32, two)};
  EXPECT_FAILURE(m.runTensors(recordingEntry, in, {}, out), ATTNC_ERR_INVALID_ARGUMENT,
                 "dim T cannot be inferred");
}

TEST(RunTensorsExpressions, DimsInferredFromParamsAndOutputs) {
  ModelBuilder b("late");
  Expr S = b.dim("S"), D = b.dim("D"), K = b.dim("K");
  b.input("x", ATTNC_F32, {S * D}).param("p", ATTNC_F32, {D}).output("y", ATTNC_F32, {S, K});
  Model m = b.build();
  expectedRanks() = {1, 1, 2};
  float buf[64] = {};
  std::vector<int64_t> x{12}, p{4}, y{3, 5};
  std::vector<attnc_tensor> in = {tensor(buf, ATTNC_F32, x)}, par = {tensor(buf, ATTNC_F32, p)};
  std::vector<attnc_tensor> out = {tensor(buf, ATTNC_F32, y)};
  EXPECT_SUCCESS(m.runTensors(recordingEntry, in, par, out));
  EXPECT_EQ(received().dimValues, (std::vector<int64_t>{3, 4, 5}));
}

TEST(RunTensorsNoParams, EmptyParamArrayIsAccepted) {
  ModelBuilder b("fixed");
  b.input("x", ATTNC_F32, {lit(2)}).output("y", ATTNC_F32, {lit(2)});
  Model m = b.build();
  expectedRanks() = {1, 1};
  float x[2] = {1, 2}, y[2] = {};
  std::vector<int64_t> two{2};
  attnc_tensor in = tensor(x, ATTNC_F32, two), out = tensor(y, ATTNC_F32, two);
  EXPECT_SUCCESS(attnc_model_run_tensors(m.sig.data(), m.strings.c_str(), recordingEntry, &in, 1,
                                         nullptr, 0, &out, 1, nullptr));
  EXPECT_EQ(received().dimValues, std::vector<int64_t>{0});
}

} // namespace
