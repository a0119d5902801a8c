//===- mha_misuse_test.cpp - Misusing examples/mha.attn's entry points ----===//
//
// examples/mha.attn compiled under its own name: symbolic B and S, fixed
// E = 128 and H = 4, one input and four params (the projections).
//
//===----------------------------------------------------------------------===//

#include "abi_test_support.h"
#include "mha.h"

using namespace attnc_abi_test;

namespace {

class Mha : public ::testing::Test {
protected:
  static constexpr int64_t B = 2, S = 5, E = 128;

  void SetUp() override { guard.watch(y.data(), y.size() * sizeof(float)); }

  attnc_status run(const attnc_exec *exec = nullptr) {
    return mha_run(&dims, &in, &params, &out, exec);
  }
  attnc_status runTensors(const attnc_exec *exec = nullptr) {
    return mha_run_tensors(inputs.data(), inputs.size(), paramTensors.data(),
                           paramTensors.size(), outputs.data(), outputs.size(), exec);
  }

  std::vector<float> x = ramp(B * S * E, 1), wq = ramp(E * E, 2), wk = ramp(E * E, 3),
                     wv = ramp(E * E, 4), wo = ramp(E * E, 5),
                     y = std::vector<float>(B * S * E, 3.0f);
  mha_dims dims{B, S};
  mha_inputs in{x.data()};
  mha_params params{wq.data(), wk.data(), wv.data(), wo.data()};
  mha_outputs out{y.data()};

  std::vector<int64_t> xShape{B, S, E}, wShape{E, E};
  std::vector<attnc_tensor> inputs{tensor(x.data(), ATTNC_F32, xShape)};
  std::vector<attnc_tensor> paramTensors{
      tensor(wq.data(), ATTNC_F32, wShape), tensor(wk.data(), ATTNC_F32, wShape),
      tensor(wv.data(), ATTNC_F32, wShape), tensor(wo.data(), ATTNC_F32, wShape)};
  std::vector<attnc_tensor> outputs{tensor(y.data(), ATTNC_F32, xShape)};
  OutputGuard guard;
};

TEST_F(Mha, BothEntriesComputeTheSameBits) {
  EXPECT_OK(run());
  std::vector<float> typed = y;
  EXPECT_NE(typed, std::vector<float>(y.size(), 3.0f)) << "the output was not written";
  std::fill(y.begin(), y.end(), 0.0f);
  EXPECT_OK(runTensors());
  EXPECT_EQ(y, typed);
}

TEST_F(Mha, AWorkspaceOfTheReportedSizeGivesTheSameBits) {
  EXPECT_OK(run());
  const std::vector<float> own = y;
  const size_t bytes = mha_workspace_bytes(&dims);
  // Projected q, k, v (and their heads) are intermediates of B * S * E floats.
  EXPECT_GE(bytes, B * S * E * sizeof(float));
  EXPECT_NE(bytes, SIZE_MAX) << attnc_last_error();
  std::vector<unsigned char> memory(bytes, 0xff);
  for (int call = 0; call < 2; ++call) {
    std::fill(y.begin(), y.end(), 0.0f);
    attnc_exec exec{sizeof(attnc_exec), 2, nullptr, memory.data(), memory.size()};
    EXPECT_OK(run(&exec));
    EXPECT_EQ(y, own) << "call " << call;
  }
}

TEST_F(Mha, AWorkspaceTooSmallForTheIntermediatesFailsBeforeWritingTheOutput) {
  // Smaller than one projection (B * S * E floats).
  const size_t bytes = B * S * E * sizeof(float) - 1;
  std::vector<unsigned char> memory(bytes);
  attnc_exec exec{sizeof(attnc_exec), 1, nullptr, memory.data(), bytes};
  const std::string holds = "the workspace holds " + std::to_string(bytes) + " bytes; this run needs ";
  EXPECT_MISUSE(run(&exec), ATTNC_ERR_INVALID_ARGUMENT, holds);
  EXPECT_TRUE(lastErrorContains(" (NAME_workspace_bytes for its dims)"));
}

TEST_F(Mha, AWorkspaceThatHoldsOnlyTheIntermediatesServesToo) {
  // The size the message names: the arena, without the per-thread copies
  // NAME_workspace_bytes counts (the GEMM's packed panels).
  EXPECT_OK(run());
  const std::vector<float> own = y;
  std::vector<unsigned char> none(1);
  attnc_exec tiny{sizeof(attnc_exec), 2, nullptr, none.data(), 1};
  EXPECT_NE(run(&tiny), ATTNC_OK);
  const std::string message = attnc_last_error();
  const size_t at = message.find("this run needs ");
  ASSERT_NE(at, std::string::npos) << message;
  const size_t arena = std::stoull(message.substr(at + 15));
  const size_t reported = mha_workspace_bytes(&dims);
  EXPECT_LT(arena, reported) << "the per-thread copies are counted";
  std::vector<unsigned char> memory(arena);
  attnc_exec exec{sizeof(attnc_exec), 2, nullptr, memory.data(), arena};
  std::fill(y.begin(), y.end(), 0.0f);
  EXPECT_OK(run(&exec));
  EXPECT_EQ(y, own);
}

TEST_F(Mha, AnExecWithoutTheWorkspaceFieldsStillRuns) {
  // A caller built against the attnc_exec that ended at `stream`.
  EXPECT_OK(run());
  const std::vector<float> own = y;
  std::fill(y.begin(), y.end(), 0.0f);
  attnc_exec exec{};
  exec.struct_size = offsetof(attnc_exec, workspace);
  exec.num_threads = 1;
  exec.workspace = reinterpret_cast<void *>(16);  // beyond struct_size: never read
  exec.workspace_bytes = 1;
  EXPECT_OK(run(&exec));
  EXPECT_EQ(y, own);
}

TEST_F(Mha, WorkspaceBytesOfInvalidDims) {
  mha_dims bad{-1, S};
  EXPECT_EQ(mha_workspace_bytes(&bad), SIZE_MAX);
  EXPECT_NE(std::string(attnc_last_error()), "");
}

TEST_F(Mha, ZeroOutputProjectionGivesZeros) {
  std::fill(wo.begin(), wo.end(), 0.0f);
  EXPECT_OK(run());
  for (float v : y)
    ASSERT_EQ(v, 0.0f);
}

TEST_F(Mha, RunNullParamsStruct) {
  EXPECT_MISUSE(mha_run(&dims, &in, nullptr, &out, nullptr), ATTNC_ERR_NULL_POINTER,
                "params is NULL, but model 'mha' has 4 params");
}

TEST_F(Mha, RunNullParamBuffer) {
  params.wv = nullptr;
  EXPECT_MISUSE(run(), ATTNC_ERR_NULL_POINTER, "param 'wv' is NULL (it has 16384 elements)");
}

TEST_F(Mha, RunNegativeBatch) {
  dims.B = -3;
  EXPECT_MISUSE(run(), ATTNC_ERR_INVALID_ARGUMENT, "dim B is -3, must be >= 0");
}

TEST_F(Mha, RunNegativeThreadCount) {
  attnc_exec exec{sizeof(attnc_exec), INT32_MIN, nullptr, nullptr, 0};
  EXPECT_MISUSE(run(&exec), ATTNC_ERR_INVALID_ARGUMENT,
                "exec->num_threads is " + std::to_string(INT32_MIN));
}

TEST_F(Mha, TooFewParams) {
  paramTensors.pop_back();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_INVALID_ARGUMENT, "model 'mha' has 4 params, got 3");
}

TEST_F(Mha, NullParamArray) {
  EXPECT_MISUSE(mha_run_tensors(inputs.data(), 1, nullptr, 4, outputs.data(), 1, nullptr),
                ATTNC_ERR_NULL_POINTER, "the param array is NULL, but its count is 4");
}

TEST_F(Mha, ParamViolatesAFixedDim) {
  std::vector<int64_t> narrow{E, 64};
  paramTensors[3].shape = narrow.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "param 'wo': axis 1 is 64, expected 128");
}

TEST_F(Mha, ParamOfTheWrongDtype) {
  paramTensors[1].dtype = ATTNC_BF16;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_DTYPE_MISMATCH,
                "param 'wk': dtype is bf16, the model expects f32");
}

TEST_F(Mha, ParamOfTheWrongRank) {
  paramTensors[0].rank = 1;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "param 'wq': rank is 1, the model expects 2 (f32[128, 128])");
}

TEST_F(Mha, TransposedParam) {
  // wq^T as a view of wq: column-major strides.
  std::vector<int64_t> columnMajor{1, E};
  paramTensors[0].strides = columnMajor.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_UNSUPPORTED,
                "param 'wq': strides [1, 128] are not dense row-major for shape [128, 128]");
}

TEST_F(Mha, NullParamData) {
  paramTensors[2].data = nullptr;
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_NULL_POINTER, "param 'wv' is NULL");
}

TEST_F(Mha, OutputOfAnotherSequenceLength) {
  std::vector<int64_t> longer{B, S + 1, E};
  outputs[0].shape = longer.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "output 'y': axis 1 is 6, dim S is 5 (from input 'x' axis 1)");
}

TEST_F(Mha, InputViolatesAFixedDim) {
  std::vector<int64_t> wide{B, S, 2 * E};
  inputs[0].shape = wide.data();
  EXPECT_MISUSE(runTensors(), ATTNC_ERR_SHAPE_MISMATCH,
                "input 'x': axis 2 is 256, expected 128");
}

} // namespace
