//===- shapes_misuse_test.cpp - Compound extents, checks, 16-bit, fixed ---===//
//
// tests/unit/abi/abi_shapes.attn compiled with --name=abi: a symbolic dim
// seen only inside a compound extent, an extent Q + 1, a divisibility check,
// f16/bf16 tensors, and a model without symbolic dims or params.
//
//===----------------------------------------------------------------------===//

#include "abi_shapes.h"
#include "abi_test_support.h"

using namespace attnc_abi_test;

namespace {

//===----------------------------------------------------------------------===//
// compound: x: f32[N, 2 * P], scale: f32, y = x * scale
//===----------------------------------------------------------------------===//

class Compound : public ::testing::Test {
protected:
  static constexpr int64_t N = 3, P = 2;
  void SetUp() override { guard.watch(y.data(), y.size() * sizeof(float)); }

  attnc_status run() { return abi_compound_run(&dims, &in, &params, &out, nullptr); }
  attnc_status runTensors() {
    return abi_compound_run_tensors(&xT, 1, &scaleT, 1, &yT, 1, nullptr);
  }

  std::vector<float> x = ramp(N * 2 * P, 1), y = std::vector<float>(N * 2 * P, 9.0f);
  float scale = 0.25f;
  abi_compound_dims dims{N, P};
  abi_compound_inputs in{x.data()};
  abi_compound_params params{&scale};
  abi_compound_outputs out{y.data()};
  std::vector<int64_t> shape{N, 2 * P}, scalar{};
  attnc_tensor xT = tensor(x.data(), ATTNC_F32, shape), scaleT = tensor(&scale, ATTNC_F32, scalar),
               yT = tensor(y.data(), ATTNC_F32, shape);
  OutputGuard guard;
};

TEST_F(Compound, TypedEntryTakesTheDimFromTheDimsStruct) {
  EXPECT_OK(run());
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_EQ(y[i], x[i] * 0.25f); // exact: a power of two
}

TEST_F(Compound, TensorEntryCannotInferADimSeenOnlyInACompoundExtent) {
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_INVALID_ARGUMENT,
                "dim P cannot be inferred: no tensor of model 'compound' has an axis of "
                "extent exactly P");
}

TEST_F(Compound, RunCompoundExtentThatOverflows) {
  // 2 * P overflows int64 although P itself is a valid dim.
  dims.P = INT64_C(1) << 62;
  EXPECT_MISUSE(run(), ATTNC_ERR_INVALID_ARGUMENT, "input 'x': axis 1 extent 'P * 2'");
}

TEST_F(Compound, RunNullScalarParam) {
  params.scale = nullptr;
  EXPECT_MISUSE(run(), ATTNC_ERR_NULL_POINTER, "param 'scale' is NULL (it has 1 element)");
}

TEST_F(Compound, ScalarParamGivenAnAxis) {
  std::vector<int64_t> one{1};
  scaleT = tensor(&scale, ATTNC_F32, one);
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "param 'scale': rank is 1, the model expects 0 (f32[])");
}

TEST_F(Compound, OutputElementsOfACompoundExtent) {
  EXPECT_EQ(abi_compound_output_elements(&dims, 0), static_cast<size_t>(N * 2 * P));
  dims.P = INT64_C(1) << 62;
  EXPECT_EQ(abi_compound_output_elements(&dims, 0), 0u);
  EXPECT_TRUE(lastErrorContains("output 'y': axis 1 extent 'P * 2'"));
}

//===----------------------------------------------------------------------===//
// offset: x: f32[N, Q], y: f32[N, Q + 1]
//===----------------------------------------------------------------------===//

class Offset : public ::testing::Test {
protected:
  static constexpr int64_t N = 2, Q = 4;
  void SetUp() override { guard.watch(o.data(), o.size() * sizeof(float)); }
  attnc_status runTensors() {
    return abi_offset_run_tensors(inputs.data(), inputs.size(), nullptr, 0, &oT, 1, nullptr);
  }

  std::vector<float> x = std::vector<float>(N * Q, 1.0f), y = std::vector<float>(N * (Q + 1), 2.0f),
                     o = std::vector<float>(N, -1.0f);
  std::vector<int64_t> xShape{N, Q}, yShape{N, Q + 1}, oShape{N};
  std::vector<attnc_tensor> inputs{tensor(x.data(), ATTNC_F32, xShape),
                                   tensor(y.data(), ATTNC_F32, yShape)};
  attnc_tensor oT = tensor(o.data(), ATTNC_F32, oShape);
  OutputGuard guard;
};

TEST_F(Offset, ComputesWithTheInferredDim) {
  EXPECT_OK(runTensors());
  EXPECT_EQ(o, std::vector<float>(N, Q * 1.0f + (Q + 1) * 2.0f));
}

TEST_F(Offset, CompoundExtentDisagreesWithTheInferredDim) {
  yShape[1] = Q;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "input 'y': axis 1 is 4, expected 1 + Q = 5 (with N = 2, Q = 4)");
}

TEST_F(Offset, RunNegativeDimInACompoundExtent) {
  // Q = -1 is rejected as a dim before Q + 1 = 0 could pass as an extent.
  abi_offset_dims dims{N, -1};
  abi_offset_inputs in{x.data(), y.data()};
  abi_offset_outputs out{o.data()};
  EXPECT_MISUSE(abi_offset_run(&dims, &in, nullptr, &out, nullptr), ATTNC_ERR_INVALID_ARGUMENT,
                "dim Q is -1, must be >= 0");
}

TEST_F(Offset, InferDimsFromInputsAlone) {
  abi_offset_dims dims{-7, -7};
  EXPECT_OK(abi_offset_infer_dims(inputs.data(), inputs.size(), nullptr, 0, &dims));
  EXPECT_EQ(dims.N, N);
  EXPECT_EQ(dims.Q, Q);
}

TEST_F(Offset, InferDimsChecksCompoundExtents) {
  yShape[1] = Q + 2;
  abi_offset_dims dims{-7, -7};
  EXPECT_MISUSE(abi_offset_infer_dims(inputs.data(), inputs.size(), nullptr, 0, &dims),
                ATTNC_ERR_SHAPE_MISMATCH,
                "input 'y': axis 1 is 6, expected 1 + Q = 5 (with N = 2, Q = 4)");
  EXPECT_EQ(dims.N, -7); // untouched on failure
}

TEST_F(Offset, InferDimsMisuse) {
  abi_offset_dims dims{};
  EXPECT_MISUSE(abi_offset_infer_dims(inputs.data(), 1, nullptr, 0, &dims),
                ATTNC_ERR_INVALID_ARGUMENT, "model 'offset' has 2 inputs, got 1");
  EXPECT_MISUSE(abi_offset_infer_dims(inputs.data(), inputs.size(), nullptr, 0, nullptr),
                ATTNC_ERR_NULL_POINTER, "dims is NULL, but model 'offset' has 2 symbolic dims");
  inputs[0].dtype = ATTNC_BF16;
  EXPECT_MISUSE(abi_offset_infer_dims(inputs.data(), inputs.size(), nullptr, 0, &dims),
                ATTNC_ERR_DTYPE_MISMATCH, "input 'x': dtype is bf16, the model expects f32");
}

TEST_F(Compound, InferDimsCannotInferADimSeenOnlyInACompoundExtent) {
  abi_compound_dims inferred{};
  EXPECT_MISUSE(abi_compound_infer_dims(&xT, 1, &scaleT, 1, &inferred),
                ATTNC_ERR_INVALID_ARGUMENT,
                "dim P cannot be inferred: no input or param of model 'compound' has an axis "
                "of extent exactly P");
}

TEST_F(Compound, OutputShapeOfACompoundExtent) {
  int64_t shape[2] = {-1, -1};
  EXPECT_OK(abi_compound_output_shape(&dims, 0, shape));
  EXPECT_EQ(shape[0], N);
  EXPECT_EQ(shape[1], 2 * P);
  EXPECT_MISUSE(abi_compound_output_shape(&dims, 1, shape), ATTNC_ERR_INVALID_ARGUMENT,
                "output index 1 is out of range: model 'compound' has 1 output");
  EXPECT_MISUSE(abi_compound_output_shape(&dims, 0, nullptr), ATTNC_ERR_NULL_POINTER,
                "shape is NULL");
  EXPECT_MISUSE(abi_compound_output_shape(nullptr, 0, shape), ATTNC_ERR_NULL_POINTER,
                "dims is NULL");
  dims.P = INT64_C(1) << 62;
  EXPECT_MISUSE(abi_compound_output_shape(&dims, 0, shape), ATTNC_ERR_INVALID_ARGUMENT,
                "output 'y': axis 1 extent 'P * 2'");
}

//===----------------------------------------------------------------------===//
// split: x: f32[S, E], y = heads(x, 4), so E must divide by 4
//===----------------------------------------------------------------------===//

class Split : public ::testing::Test {
protected:
  static constexpr int64_t S = 3;
  void SetUp() override { guard.watch(y.data(), y.size() * sizeof(float)); }

  std::vector<float> x = ramp(S * 10, 1), y = std::vector<float>(S * 10, 5.0f);
  OutputGuard guard;
};

TEST_F(Split, DivisibleExtentWorks) {
  abi_split_dims dims{S, 8};
  abi_split_inputs in{x.data()};
  abi_split_outputs out{y.data()};
  EXPECT_OK(abi_split_run(&dims, &in, nullptr, &out, nullptr));
  // heads: y[h, s, d] = x[s, h * 2 + d] with E / H = 2.
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t d = 0; d < 2; ++d)
        ASSERT_EQ(y[(h * S + s) * 2 + d], x[s * 8 + h * 2 + d]);
}

TEST_F(Split, RunFailsTheDivisibilityCheck) {
  abi_split_dims dims{S, 10};
  abi_split_inputs in{x.data()};
  abi_split_outputs out{y.data()};
  EXPECT_MISUSE(abi_split_run(&dims, &in, nullptr, &out, nullptr), ATTNC_ERR_SHAPE_MISMATCH,
                "shape check 'E / 4'");
  EXPECT_TRUE(lastErrorContains("E = 10"));
}

TEST_F(Split, RunTensorsFailsTheDivisibilityCheck) {
  std::vector<int64_t> xShape{S, 10}, yShape{4, S, 2};
  attnc_tensor xT = tensor(x.data(), ATTNC_F32, xShape), yT = tensor(y.data(), ATTNC_F32, yShape);
  EXPECT_MISUSE(abi_split_run_tensors(&xT, 1, nullptr, 0, &yT, 1, nullptr),
                ATTNC_ERR_SHAPE_MISMATCH, "shape check 'E / 4'");
}

TEST_F(Split, OutputElementsFailsTheDivisibilityCheck) {
  abi_split_dims dims{S, 10};
  EXPECT_EQ(abi_split_output_elements(&dims, 0), 0u);
  EXPECT_TRUE(lastErrorContains("shape check 'E / 4'"));
}

//===----------------------------------------------------------------------===//
// half: a: f16[S, 8], b: bf16[S, 8] -> o: f32[S, S], h: f16[S, 8]
//===----------------------------------------------------------------------===//

class Half : public ::testing::Test {
protected:
  static constexpr int64_t S = 3, D = 8;
  static constexpr uint16_t kF16Two = 0x4000, kF16One = 0x3C00, kBF16One = 0x3F80;

  void SetUp() override {
    guard.watch(o.data(), o.size() * sizeof(float));
    guard.watch(h.data(), h.size() * sizeof(uint16_t));
  }
  attnc_status runTensors() {
    return abi_half_run_tensors(inputs.data(), inputs.size(), nullptr, 0, outputs.data(),
                                outputs.size(), nullptr);
  }

  std::vector<uint16_t> a = std::vector<uint16_t>(S * D, kF16Two),
                        b = std::vector<uint16_t>(S * D, kBF16One),
                        h = std::vector<uint16_t>(S * D, 0xFFFF);
  std::vector<float> o = std::vector<float>(S * S, -2.0f);
  std::vector<int64_t> inShape{S, D}, oShape{S, S};
  std::vector<attnc_tensor> inputs{tensor(a.data(), ATTNC_F16, inShape),
                                   tensor(b.data(), ATTNC_BF16, inShape)};
  std::vector<attnc_tensor> outputs{tensor(o.data(), ATTNC_F32, oShape),
                                    tensor(h.data(), ATTNC_F16, inShape)};
  OutputGuard guard;
};

TEST_F(Half, Computes) {
  EXPECT_OK(runTensors());
  // Equal scores: uniform weights. Halving 2 in f16 is exactly 1.
  for (float w : o)
    ASSERT_NEAR(w, 1.0f / S, 1e-6f);
  EXPECT_EQ(h, std::vector<uint16_t>(S * D, kF16One));
}

TEST_F(Half, TypedEntryComputes) {
  abi_half_dims dims{S};
  abi_half_inputs in{a.data(), b.data()};
  abi_half_outputs out{o.data(), h.data()};
  EXPECT_OK(abi_half_run(&dims, &in, nullptr, &out, nullptr));
  EXPECT_EQ(h, std::vector<uint16_t>(S * D, kF16One));
}

TEST_F(Half, BF16GivenForF16) {
  inputs[0].dtype = ATTNC_BF16;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_DTYPE_MISMATCH,
                "input 'a': dtype is bf16, the model expects f16");
}

TEST_F(Half, F16GivenForBF16) {
  inputs[1].dtype = ATTNC_F16;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_DTYPE_MISMATCH,
                "input 'b': dtype is f16, the model expects bf16");
}

TEST_F(Half, F32GivenForAF16Output) {
  outputs[1].dtype = ATTNC_F32;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_DTYPE_MISMATCH,
                "output 'h': dtype is f32, the model expects f16");
}

TEST_F(Half, F16GivenForAF32Output) {
  outputs[0].dtype = ATTNC_F16;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_DTYPE_MISMATCH,
                "output 'o': dtype is f16, the model expects f32");
}

TEST_F(Half, RunNullSecondOutput) {
  abi_half_dims dims{S};
  abi_half_inputs in{a.data(), b.data()};
  abi_half_outputs out{o.data(), nullptr};
  EXPECT_MISUSE(abi_half_run(&dims, &in, nullptr, &out, nullptr), ATTNC_ERR_NULL_POINTER,
                "output 'h' is NULL");
}

TEST_F(Half, OutputShapeWrongOnTheSecondAxis) {
  std::vector<int64_t> bad{S, S + 1};
  outputs[0].shape = bad.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH, "output 'o': axis 1 is 4, dim S is 3");
}

//===----------------------------------------------------------------------===//
// fixed: no symbolic dims and no params
//===----------------------------------------------------------------------===//

class Fixed : public ::testing::Test {
protected:
  static constexpr int64_t B = 2, S = 4, T = 6, D = 8;
  void SetUp() override { guard.watch(o.data(), o.size() * sizeof(float)); }
  attnc_status runTensors() {
    return abi_fixed_run_tensors(inputs.data(), inputs.size(), nullptr, 0, &oT, 1, nullptr);
  }

  std::vector<float> q = ramp(B * S * D, 1), k = ramp(B * T * D, 2),
                     v = std::vector<float>(B * T * D, -0.75f),
                     o = std::vector<float>(B * S * D, 4.0f);
  abi_fixed_inputs in{q.data(), k.data(), v.data()};
  abi_fixed_outputs out{o.data()};
  std::vector<int64_t> qShape{B, S, D}, kvShape{B, T, D};
  std::vector<attnc_tensor> inputs{tensor(q.data(), ATTNC_F32, qShape),
                                   tensor(k.data(), ATTNC_F32, kvShape),
                                   tensor(v.data(), ATTNC_F32, kvShape)};
  attnc_tensor oT = tensor(o.data(), ATTNC_F32, qShape);
  OutputGuard guard;
};

TEST_F(Fixed, NullDimsAndParamsAreAccepted) {
  EXPECT_OK(abi_fixed_run(nullptr, &in, nullptr, &out, nullptr));
  for (float x : o)
    ASSERT_NEAR(x, -0.75f, 1e-6f);
}

TEST_F(Fixed, PlaceholderMembersAreIgnored) {
  abi_fixed_dims dims{-7};
  abi_fixed_params params{-7};
  EXPECT_OK(abi_fixed_run(&dims, &in, &params, &out, nullptr));
}

TEST_F(Fixed, TensorEntryWorks) { EXPECT_OK(runTensors()); }

TEST_F(Fixed, RunNullInputsStruct) {
  EXPECT_MISUSE(abi_fixed_run(nullptr, nullptr, nullptr, &out, nullptr), ATTNC_ERR_NULL_POINTER,
                "inputs is NULL, but model 'fixed' has 3 inputs");
}

TEST_F(Fixed, FixedDimViolated) {
  qShape[1] = S + 1;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "input 'q': axis 1 is 5, expected 4");
}

TEST_F(Fixed, FixedBatchViolatedOnlyByTheOutput) {
  std::vector<int64_t> oneBatch{1, S, D};
  oT.shape = oneBatch.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "output 'o': axis 0 is 1, expected 2");
}

TEST_F(Fixed, OutputElementsWithNullDims) {
  EXPECT_EQ(abi_fixed_output_elements(nullptr, 0), static_cast<size_t>(B * S * D));
}

//===----------------------------------------------------------------------===//
// cube: t[i: N, j: N, k: N] = x[i] * x[j] + x[k], s = sum(t)
//===----------------------------------------------------------------------===//

class Cube : public ::testing::Test {
protected:
  void SetUp() override { guard.watch(&s, sizeof s); }

  attnc_status run(int64_t n) {
    x.assign(static_cast<size_t>(n), 0.5f);
    abi_cube_dims dims{n};
    abi_cube_inputs in{x.data()};
    abi_cube_outputs out{&s};
    return abi_cube_run(&dims, &in, nullptr, &out, nullptr);
  }
  attnc_status runTensors(int64_t n) {
    x.assign(static_cast<size_t>(n), 0.5f);
    std::vector<int64_t> shape{n}, scalar{};
    attnc_tensor xT = tensor(x.data(), ATTNC_F32, shape), sT = tensor(&s, ATTNC_F32, scalar);
    return abi_cube_run_tensors(&xT, 1, nullptr, 0, &sT, 1, nullptr);
  }

  std::vector<float> x;
  float s = 9.0f;
  OutputGuard guard;
};

TEST_F(Cube, Works) {
  EXPECT_OK(run(4));
  EXPECT_EQ(s, 64 * (0.25f + 0.5f));
}

TEST_F(Cube, IntermediateWhoseSizeOverflowsThroughRun) {
  // t has 2^66 elements: the inputs and the output are fine, t is not.
  EXPECT_MISUSE(run(INT64_C(1) << 22), ATTNC_ERR_OUT_OF_MEMORY,
                "'t' at abi_shapes.attn:51:7: f32[4194304, 4194304, 4194304] is too large: its "
                "size in bytes overflows 64 bits (with N = 4194304)");
}

TEST_F(Cube, IntermediateWhoseSizeOverflowsThroughRunTensors) {
  EXPECT_MISUSE(runTensors(INT64_C(1) << 22), ATTNC_ERR_OUT_OF_MEMORY,
                "'t' at abi_shapes.attn:51:7: f32[4194304, 4194304, 4194304] is too large");
}

TEST_F(Cube, IntermediateThatCannotBeAllocated) {
  // 2^60 elements, 2^62 bytes: a size, but not one any machine has.
  EXPECT_MISUSE(run(INT64_C(1) << 20), ATTNC_ERR_OUT_OF_MEMORY,
                "'t' at abi_shapes.attn:51:7: f32[1048576, 1048576, 1048576] needs "
                "4611686018427387904 bytes, which could not be allocated (with N = 1048576)");
}

} // namespace
