//===- sdpa_misuse_test.cpp - Misusing examples/sdpa.attn's entry points --===//
//
// examples/sdpa.attn compiled with --name=abi_sdpa: its two models become
// abi_sdpa_sdpa (four symbolic dims, D = 64 fixed, no params) and
// abi_sdpa_sdpa_padded (the same plus an i32 input).
//
//===----------------------------------------------------------------------===//

#include "abi_sdpa.h"
#include "abi_test_support.h"

#include <algorithm>

using namespace attnc_abi_test;

namespace {

constexpr int64_t kBig = INT64_C(1) << 40;

class Sdpa : public ::testing::Test {
protected:
  static constexpr int64_t B = 2, H = 2, S = 3, T = 5, D = 64;

  void SetUp() override {
    guard.watch(o.data(), o.size() * sizeof(float));
  }

  attnc_status run(const attnc_exec *exec = nullptr) {
    return abi_sdpa_sdpa_run(&dims, &in, nullptr, &out, exec);
  }
  attnc_status runTensors(const attnc_exec *exec = nullptr) {
    return abi_sdpa_sdpa_run_tensors(inputs.data(), inputs.size(), nullptr, 0, outputs.data(),
                                     outputs.size(), exec);
  }

  std::vector<float> q = ramp(B * H * S * D, 1), k = ramp(B * H * T * D, 2),
                     v = std::vector<float>(B * H * T * D, 0.5f),
                     o = std::vector<float>(B * H * S * D, -7.0f);
  abi_sdpa_sdpa_dims dims{B, H, S, T};
  abi_sdpa_sdpa_inputs in{q.data(), k.data(), v.data()};
  abi_sdpa_sdpa_outputs out{o.data()};

  std::vector<int64_t> qShape{B, H, S, D}, kvShape{B, H, T, D}, oShape{B, H, S, D};
  std::vector<attnc_tensor> inputs{tensor(q.data(), ATTNC_F32, qShape),
                                   tensor(k.data(), ATTNC_F32, kvShape),
                                   tensor(v.data(), ATTNC_F32, kvShape)};
  std::vector<attnc_tensor> outputs{tensor(o.data(), ATTNC_F32, oShape)};
  OutputGuard guard;
};

//===----------------------------------------------------------------------===//
// Correct calls, so that the failures below are failures of the misuse alone
//===----------------------------------------------------------------------===//

TEST_F(Sdpa, TypedEntryComputes) {
  EXPECT_OK(run());
  // Every value is 0.5 and the softmax weights of a row sum to 1.
  for (float x : o)
    ASSERT_NEAR(x, 0.5f, 1e-6f);
}

TEST_F(Sdpa, BothEntriesAgreeBitForBit) {
  // In place: the input structs hold v's buffer.
  const std::vector<float> values = ramp(v.size(), 3);
  std::copy(values.begin(), values.end(), v.begin());
  EXPECT_OK(run());
  std::vector<float> typed = o;
  std::fill(o.begin(), o.end(), 0.0f);
  EXPECT_OK(runTensors());
  EXPECT_EQ(o, typed);
}

TEST_F(Sdpa, OutputOverlappingAnInputGivesTheSameBits) {
  // The kernel writes o while it still reads v; an o that shares v's memory
  // must still get the values computed from the v passed in.
  const std::vector<float> values = ramp(v.size(), 3);
  std::copy(values.begin(), values.end(), v.begin());
  EXPECT_OK(run());
  const std::vector<float> separate = o;
  for (size_t offset : {size_t{0}, size_t{100}, v.size() - o.size()}) {
    SCOPED_TRACE(offset);
    std::copy(values.begin(), values.end(), v.begin());
    out.o = v.data() + offset;
    EXPECT_OK(run());
    EXPECT_TRUE(std::equal(separate.begin(), separate.end(), v.begin() + offset));
    std::copy(values.begin(), values.end(), v.begin());
    outputs[0].data = v.data() + offset;
    EXPECT_OK(runTensors());
    EXPECT_TRUE(std::equal(separate.begin(), separate.end(), v.begin() + offset));
  }
}

TEST_F(Sdpa, ExplicitDenseStridesAreAccepted) {
  std::vector<int64_t> qStrides{H * S * D, S * D, D, 1};
  inputs[0] = tensor(q.data(), ATTNC_F32, qShape, &qStrides);
  EXPECT_OK(runTensors());
}

TEST_F(Sdpa, ZeroInitialisedExecMeansDefaults) {
  attnc_exec exec{};
  EXPECT_OK(run(&exec));
  EXPECT_OK(runTensors(&exec));
}

TEST_F(Sdpa, EmptyBatchMayHaveNullBuffers) {
  dims.B = 0;
  in = {nullptr, nullptr, nullptr};
  out = {nullptr};
  EXPECT_OK(run());
  qShape[0] = kvShape[0] = oShape[0] = 0;
  for (attnc_tensor &t : inputs)
    t.data = nullptr;
  outputs[0].data = nullptr;
  EXPECT_OK(runTensors());
}

TEST_F(Sdpa, NoKeysGiveZeros) {
  // T = 0: every row's softmax is over no key at all, so the weighted sum is
  // empty. The key and value tensors have no element and may be NULL.
  dims.T = 0;
  in.k = in.v = nullptr;
  EXPECT_OK(run());
  for (float x : o)
    ASSERT_EQ(x, 0.0f);
}

//===----------------------------------------------------------------------===//
// The typed entry (abi_sdpa_sdpa_run)
//===----------------------------------------------------------------------===//

TEST_F(Sdpa, RunNullDims) {
  EXPECT_MISUSE(abi_sdpa_sdpa_run(nullptr, &in, nullptr, &out, nullptr),
                ATTNC_ERR_NULL_POINTER, "dims is NULL, but model 'sdpa' has 4 symbolic dims");
}

TEST_F(Sdpa, RunNullInputsStruct) {
  EXPECT_MISUSE(abi_sdpa_sdpa_run(&dims, nullptr, nullptr, &out, nullptr),
                ATTNC_ERR_NULL_POINTER, "inputs is NULL, but model 'sdpa' has 3 inputs");
}

TEST_F(Sdpa, RunNullOutputsStruct) {
  EXPECT_MISUSE(abi_sdpa_sdpa_run(&dims, &in, nullptr, nullptr, nullptr),
                ATTNC_ERR_NULL_POINTER, "outputs is NULL, but model 'sdpa' has 1 output");
}

TEST_F(Sdpa, RunNullInputBuffer) {
  in.k = nullptr;
  EXPECT_MISUSE(run(), ATTNC_ERR_NULL_POINTER,
                "input 'k' is NULL (it has " + std::to_string(B * H * T * D) + " elements)");
}

TEST_F(Sdpa, RunNullOutputBuffer) {
  out.o = nullptr;
  EXPECT_MISUSE(run(), ATTNC_ERR_NULL_POINTER, "output 'o' is NULL");
}

TEST_F(Sdpa, RunNegativeDim) {
  dims.S = -1;
  EXPECT_MISUSE(run(), ATTNC_ERR_INVALID_ARGUMENT, "dim S is -1, must be >= 0");
}

TEST_F(Sdpa, RunDimsWhoseElementCountOverflows) {
  dims.B = dims.H = dims.S = kBig;
  EXPECT_MISUSE(run(), ATTNC_ERR_INVALID_ARGUMENT,
                "input 'q': shape [1099511627776, 1099511627776, 1099511627776, 64] is too "
                "large");
}

TEST_F(Sdpa, RunDimsWhoseByteSizeOverflows) {
  // 2^61 elements fit in int64, their 2^63 bytes do not.
  dims.B = INT64_C(1) << 55;
  dims.H = 1;
  dims.S = 1;
  EXPECT_MISUSE(run(), ATTNC_ERR_INVALID_ARGUMENT, "input 'q': shape");
}

TEST_F(Sdpa, RunExecStructSizeTooSmall) {
  attnc_exec exec{4, 1, nullptr, nullptr, 0};
  EXPECT_MISUSE(run(&exec), ATTNC_ERR_INVALID_ARGUMENT,
                "exec->struct_size is 4, must be at least 8");
}

TEST_F(Sdpa, RunNegativeThreadCount) {
  attnc_exec exec{sizeof(attnc_exec), -1, nullptr, nullptr, 0};
  EXPECT_MISUSE(run(&exec), ATTNC_ERR_INVALID_ARGUMENT, "exec->num_threads is -1");
}

//===----------------------------------------------------------------------===//
// The tensor entry (abi_sdpa_sdpa_run_tensors): counts and arrays
//===----------------------------------------------------------------------===//

TEST_F(Sdpa, TooFewInputs) {
  EXPECT_MISUSE(abi_sdpa_sdpa_run_tensors(inputs.data(), 2, nullptr, 0, outputs.data(), 1,
                                          nullptr),
                ATTNC_ERR_INVALID_ARGUMENT, "model 'sdpa' has 3 inputs, got 2");
}

TEST_F(Sdpa, ParamsForAModelWithoutParams) {
  EXPECT_MISUSE(abi_sdpa_sdpa_run_tensors(inputs.data(), 3, inputs.data(), 1, outputs.data(),
                                          1, nullptr),
                ATTNC_ERR_INVALID_ARGUMENT, "model 'sdpa' has 0 params, got 1");
}

TEST_F(Sdpa, TooManyOutputs) {
  outputs.push_back(outputs[0]);
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_INVALID_ARGUMENT, "model 'sdpa' has 1 output, got 2");
}

TEST_F(Sdpa, NullInputArray) {
  EXPECT_MISUSE(abi_sdpa_sdpa_run_tensors(nullptr, 3, nullptr, 0, outputs.data(), 1, nullptr),
                ATTNC_ERR_NULL_POINTER, "the input array is NULL, but its count is 3");
}

TEST_F(Sdpa, NullOutputArray) {
  EXPECT_MISUSE(abi_sdpa_sdpa_run_tensors(inputs.data(), 3, nullptr, 0, nullptr, 1, nullptr),
                ATTNC_ERR_NULL_POINTER, "the output array is NULL, but its count is 1");
}

TEST_F(Sdpa, RunTensorsExecStructSizeTooSmall) {
  attnc_exec exec{sizeof(uint32_t) + 3, 1, nullptr, nullptr, 0};
  EXPECT_MISUSE(runTensors(&exec), ATTNC_ERR_INVALID_ARGUMENT, "exec->struct_size is 7");
}

TEST_F(Sdpa, RunTensorsNegativeThreadCount) {
  attnc_exec exec{sizeof(attnc_exec), -3, nullptr, nullptr, 0};
  EXPECT_MISUSE(runTensors(&exec), ATTNC_ERR_INVALID_ARGUMENT,
                "exec->num_threads is -3, must be >= 0");
}

//===----------------------------------------------------------------------===//
// The tensor entry: one tensor on its own
//===----------------------------------------------------------------------===//

TEST_F(Sdpa, WrongRank) {
  inputs[0].rank = 3;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "input 'q': rank is 3, the model expects 4 (f32[B, H, S, 64])");
}

TEST_F(Sdpa, NegativeRank) {
  outputs[0].rank = -4;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH, "output 'o': rank is -4");
}

TEST_F(Sdpa, NullShape) {
  inputs[2].shape = nullptr;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_NULL_POINTER, "input 'v': shape is NULL (rank 4)");
}

TEST_F(Sdpa, NullData) {
  inputs[0].data = nullptr;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_NULL_POINTER,
                "input 'q' is NULL (it has " + std::to_string(B * H * S * D) + " elements)");
}

TEST_F(Sdpa, NullOutputData) {
  outputs[0].data = nullptr;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_NULL_POINTER, "output 'o' is NULL");
}

TEST_F(Sdpa, NegativeExtent) {
  kvShape[2] = -5;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_INVALID_ARGUMENT,
                "input 'k': axis 2 is -5, extents must be >= 0");
}

TEST_F(Sdpa, ExtentsWhoseElementCountOverflows) {
  std::vector<int64_t> huge{kBig, kBig, kBig, D};
  inputs[0].shape = huge.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_INVALID_ARGUMENT,
                "input 'q': shape [1099511627776, 1099511627776, 1099511627776, 64] is too "
                "large");
}

TEST_F(Sdpa, UnknownDtype) {
  inputs[1].dtype = static_cast<attnc_dtype>(42);
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_INVALID_ARGUMENT, "input 'k': unknown dtype 42");
}

TEST_F(Sdpa, WrongDtype) {
  inputs[1].dtype = ATTNC_F16;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_DTYPE_MISMATCH,
                "input 'k': dtype is f16, the model expects f32");
}

TEST_F(Sdpa, WrongOutputDtype) {
  outputs[0].dtype = ATTNC_I32;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_DTYPE_MISMATCH,
                "output 'o': dtype is i32, the model expects f32");
}

TEST_F(Sdpa, TransposedStrides) {
  // q viewed as [B, H, D, S] transposed back: the last two axes swapped.
  std::vector<int64_t> strides{H * S * D, S * D, 1, S};
  inputs[0].strides = strides.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_UNSUPPORTED,
                "input 'q': strides [384, 192, 1, 3] are not dense row-major for shape "
                "[2, 2, 3, 64]");
}

TEST_F(Sdpa, PaddedRowStrides) {
  // Rows of 64 values 80 apart, as a slice of a wider buffer would be.
  std::vector<int64_t> strides{H * T * 80, T * 80, 80, 1};
  inputs[2].strides = strides.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_UNSUPPORTED,
                "input 'v': strides [800, 400, 80, 1] are not dense row-major");
}

TEST_F(Sdpa, BroadcastStrideOfZero) {
  // A stride of 0 on an axis of extent > 1 (a broadcast view).
  std::vector<int64_t> strides{0, S * D, D, 1};
  outputs[0].strides = strides.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_UNSUPPORTED,
                "output 'o': strides [0, 192, 64, 1] are not dense row-major for shape "
                "[2, 2, 3, 64] (axis 0 has stride 0, expected 384)");
}

//===----------------------------------------------------------------------===//
// The tensor entry: tensors that disagree with the model or each other
//===----------------------------------------------------------------------===//

TEST_F(Sdpa, FixedDimViolated) {
  std::vector<int64_t> narrow{B, H, S, 32};
  inputs[0].shape = narrow.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "input 'q': axis 3 is 32, expected 64");
}

TEST_F(Sdpa, BatchDisagreesBetweenInputs) {
  std::vector<int64_t> other{B + 1, H, T, D};
  inputs[1].shape = other.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "input 'k': axis 0 is 3, dim B is 2 (from input 'q' axis 0)");
}

TEST_F(Sdpa, KeysAndValuesDisagreeOnT) {
  std::vector<int64_t> shorter{B, H, T - 1, D};
  inputs[2].shape = shorter.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "input 'v': axis 2 is 4, dim T is 5 (from input 'k' axis 2)");
}

TEST_F(Sdpa, OutputDisagreesWithInputs) {
  oShape[2] = S + 1;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "output 'o': axis 2 is 4, dim S is 3 (from input 'q' axis 2)");
}

//===----------------------------------------------------------------------===//
// NAME_output_elements and NAME_manifest_json
//===----------------------------------------------------------------------===//

TEST_F(Sdpa, OutputElements) {
  EXPECT_EQ(abi_sdpa_sdpa_output_elements(&dims, 0), static_cast<size_t>(B * H * S * D));
  EXPECT_STREQ(attnc_last_error(), "");
}

TEST_F(Sdpa, OutputElementsOfAnIndexOutOfRange) {
  EXPECT_EQ(abi_sdpa_sdpa_output_elements(&dims, 1), 0u);
  EXPECT_TRUE(lastErrorContains("output index 1 is out of range: model 'sdpa' has 1 output"));
  EXPECT_EQ(abi_sdpa_sdpa_output_elements(&dims, -1), 0u);
  EXPECT_TRUE(lastErrorContains("output index -1 is out of range"));
}

TEST_F(Sdpa, OutputElementsOfNullOrNegativeDims) {
  EXPECT_EQ(abi_sdpa_sdpa_output_elements(nullptr, 0), 0u);
  EXPECT_TRUE(lastErrorContains("dims is NULL"));
  dims.T = -2; // T is not in the output's shape, but every dim is checked
  EXPECT_EQ(abi_sdpa_sdpa_output_elements(&dims, 0), 0u);
  EXPECT_TRUE(lastErrorContains("dim T is -2, must be >= 0"));
}

TEST_F(Sdpa, OutputElementsThatOverflow) {
  dims.B = dims.H = dims.S = kBig;
  EXPECT_EQ(abi_sdpa_sdpa_output_elements(&dims, 0), 0u);
  EXPECT_TRUE(lastErrorContains("output 'o': the element count overflows int64"));
}

TEST_F(Sdpa, ManifestNamesTheModel) {
  std::string json = abi_sdpa_sdpa_manifest_json();
  EXPECT_NE(json.find("\"name\": \"sdpa\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"symbol_prefix\": \"abi_sdpa_sdpa\""), std::string::npos) << json;
}

//===----------------------------------------------------------------------===//
// sdpa_padded: an i32 input
//===----------------------------------------------------------------------===//

class SdpaPadded : public Sdpa {
protected:
  void SetUp() override {
    Sdpa::SetUp();
    inputs.push_back(tensor(kvLen.data(), ATTNC_I32, lenShape));
  }
  attnc_status runPadded(const attnc_exec *exec = nullptr) {
    abi_sdpa_sdpa_padded_dims padDims{dims.B, dims.H, dims.S, dims.T};
    abi_sdpa_sdpa_padded_outputs padOut{out.o};
    return abi_sdpa_sdpa_padded_run(&padDims, &padIn, nullptr, &padOut, exec);
  }
  attnc_status runPaddedTensors() {
    return abi_sdpa_sdpa_padded_run_tensors(inputs.data(), inputs.size(), nullptr, 0,
                                            outputs.data(), outputs.size(), nullptr);
  }

  std::vector<int32_t> kvLen{0, 1};
  std::vector<int64_t> lenShape{B};
  abi_sdpa_sdpa_padded_inputs padIn{q.data(), k.data(), v.data(), kvLen.data()};
};

TEST_F(SdpaPadded, LengthsZeroAndOneGiveZerosAndTheFirstValueRow) {
  const std::vector<float> values = ramp(v.size(), 4);
  std::copy(values.begin(), values.end(), v.begin()); // in place: padIn holds v's buffer
  EXPECT_OK(runPadded());
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < S; ++i)
      for (int64_t d = 0; d < D; ++d) {
        // b = 0 has no key: exactly 0. b = 1 has only key 0: exactly its value row.
        ASSERT_EQ(o[((0 * H + h) * S + i) * D + d], 0.0f);
        ASSERT_EQ(o[((1 * H + h) * S + i) * D + d], v[((1 * H + h) * T + 0) * D + d]);
      }
}

TEST_F(SdpaPadded, RunNullLengths) {
  padIn.kv_len = nullptr;
  EXPECT_MISUSE(runPadded(), ATTNC_ERR_NULL_POINTER,
                "input 'kv_len' is NULL (it has 2 elements)");
}

TEST_F(SdpaPadded, LengthsAsFloats) {
  inputs[3].dtype = ATTNC_F32;
  EXPECT_MISUSE(runPaddedTensors(), ATTNC_ERR_DTYPE_MISMATCH,
                "input 'kv_len': dtype is f32, the model expects i32");
}

TEST_F(SdpaPadded, LengthsOfTheWrongBatch) {
  lenShape[0] = B + 2;
  EXPECT_MISUSE(runPaddedTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "input 'kv_len': axis 0 is 4, dim B is 2 (from input 'q' axis 0)");
}

TEST_F(SdpaPadded, LengthsAsAScalar) {
  inputs[3].rank = 0;
  EXPECT_MISUSE(runPaddedTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "input 'kv_len': rank is 0, the model expects 1 (i32[B])");
}

TEST_F(SdpaPadded, LengthsMissing) {
  inputs.pop_back();
  EXPECT_MISUSE(runPaddedTensors(), ATTNC_ERR_INVALID_ARGUMENT,
                "model 'sdpa_padded' has 4 inputs, got 3");
}

} // namespace
