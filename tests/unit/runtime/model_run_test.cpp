//===- model_run_test.cpp - attnc_model_run: typed-struct entry -----------===//
//
// NAME_run passes its typed structs as arrays: dims as int64_t[] of the
// symbolic dims, buffers as arrays of pointers.
//
//===----------------------------------------------------------------------===//

#include "test_models.h"

#include <cstddef>
#include <numeric>
#include <unistd.h>

using namespace attnc_test;

namespace {

class ModelRun : public ::testing::Test {
protected:
  void SetUp() override { resize(); }

  void resize() {
    size_t n = static_cast<size_t>(B * S * 4);
    x.assign(n, 0);
    y.assign(n, 0);
    o.assign(n, -1);
    std::iota(x.begin(), x.end(), 0.0f);
    std::iota(y.begin(), y.end(), 1.0f);
  }

  // Fills the structs from the members; tests then spoil one and call().
  void prepare() {
    dims[0] = B;
    dims[1] = S;
    in[0] = x.data();
    in[1] = y.data();
    par[0] = w.data();
    out[0] = o.data();
    out[1] = &total;
  }
  attnc_status call(const attnc_exec *exec = nullptr) {
    return model.run(addMulEntry, dimsPtr, inPtr, parPtr, outPtr, exec);
  }
  attnc_status run(const attnc_exec *exec = nullptr) {
    prepare();
    return call(exec);
  }

  Model model = addMulModel();
  int64_t B = 2, S = 3;
  std::vector<float> x, y, o, w{1, 2, 3, 4};
  float total = 0;
  int64_t dims[2] = {0, 0};
  const void *in[2] = {nullptr, nullptr};
  const void *par[1] = {nullptr};
  void *out[2] = {nullptr, nullptr};
  // The struct pointers themselves; tests set these to NULL.
  const int64_t *dimsPtr = dims;
  const void *const *inPtr = in;
  const void *const *parPtr = par;
  void *const *outPtr = out;
};

TEST_F(ModelRun, ComputesIntoTheCallersOutputs) {
  EXPECT_SUCCESS(run());
  float sum = 0;
  for (size_t i = 0; i < o.size(); ++i) {
    EXPECT_EQ(o[i], x[i] + y[i] * w[i % 4]) << "at " << i;
    sum += o[i];
  }
  EXPECT_EQ(total, sum);
}

TEST_F(ModelRun, DescriptorsAreDenseRowMajorOverTheCallersBuffers) {
  ASSERT_EQ(run(), ATTNC_OK) << attnc_last_error();
  const Received &r = received();
  ASSERT_EQ(r.tensors.size(), 5u);
  const void *buffers[5] = {x.data(), y.data(), w.data(), o.data(), &total};
  const std::vector<int64_t> sizes[5] = {{2, 3, 4}, {2, 3, 4}, {4}, {2, 3, 4}, {}};
  const std::vector<int64_t> strides[5] = {{12, 4, 1}, {12, 4, 1}, {1}, {12, 4, 1}, {}};
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r.tensors[i].allocated, buffers[i]);
    EXPECT_EQ(r.tensors[i].aligned, buffers[i]);
    EXPECT_EQ(r.tensors[i].offset, 0);
    EXPECT_EQ(r.tensors[i].sizes, sizes[i]);
    EXPECT_EQ(r.tensors[i].strides, strides[i]);
  }
}

TEST_F(ModelRun, DimsMemrefHoldsEveryDimFixedOnesIncluded) {
  B = 5;
  S = 7;
  resize();
  ASSERT_EQ(run(), ATTNC_OK) << attnc_last_error();
  const Received &r = received();
  EXPECT_EQ(r.dims.sizes, std::vector<int64_t>{3});
  EXPECT_EQ(r.dims.strides, std::vector<int64_t>{1});
  EXPECT_EQ(r.dims.offset, 0);
  EXPECT_EQ(r.dims.allocated, r.dims.aligned);
  EXPECT_EQ(r.dimValues, (std::vector<int64_t>{5, 7, 4}));
}

TEST_F(ModelRun, ContextCarriesTheRequestedThreadCount) {
  attnc_exec exec{sizeof(attnc_exec), 3, nullptr, nullptr, 0};
  ASSERT_EQ(run(&exec), ATTNC_OK) << attnc_last_error();
  EXPECT_NE(received().ctx, nullptr);
  EXPECT_EQ(received().threads, 3);
}

TEST_F(ModelRun, DefaultThreadCountIsEveryOnlineCore) {
  int32_t cores = static_cast<int32_t>(sysconf(_SC_NPROCESSORS_ONLN));
  ASSERT_EQ(run(nullptr), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(received().threads, cores);
  attnc_exec exec{sizeof(attnc_exec), 0, nullptr, nullptr, 0};
  ASSERT_EQ(run(&exec), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(received().threads, cores);
}

TEST_F(ModelRun, ShortAndLongExecStructsAreAccepted) {
  // An older caller's struct that ends right after num_threads.
  attnc_exec exec{offsetof(attnc_exec, num_threads) + sizeof(int32_t), 2, nullptr, nullptr, 0};
  EXPECT_SUCCESS(run(&exec));
  EXPECT_EQ(received().threads, 2);
  // A newer caller's, with fields this runtime does not know.
  struct {
    attnc_exec exec;
    int64_t future[4];
  } longer{{sizeof longer, 2, nullptr, nullptr, 0}, {1, 2, 3, 4}};
  EXPECT_SUCCESS(run(&longer.exec));
}

TEST_F(ModelRun, SucceedingCallClearsThePreviousError) {
  dimsPtr = nullptr;
  EXPECT_EQ(run(), ATTNC_ERR_NULL_POINTER);
  EXPECT_STRNE(attnc_last_error(), "");
  dimsPtr = dims;
  EXPECT_SUCCESS(run());
}

TEST_F(ModelRun, EmptyTensorsMayHaveNullBuffers) {
  B = 0;
  resize();
  prepare();
  in[0] = in[1] = nullptr;
  out[0] = nullptr;
  entryCalls() = 0;
  EXPECT_SUCCESS(call());
  EXPECT_EQ(entryCalls(), 1);
  EXPECT_EQ(received().dimValues, (std::vector<int64_t>{0, 3, 4}));
  EXPECT_EQ(received().tensors[0].sizes, (std::vector<int64_t>{0, 3, 4}));
  EXPECT_EQ(received().tensors[0].aligned, nullptr);
  EXPECT_EQ(total, 0.0f);
}

TEST_F(ModelRun, OutputMayAliasAnInput) {
  // o = x + y * w computed in place over x.
  std::vector<float> expected(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    expected[i] = x[i] + y[i] * w[i % 4];
  dims[0] = B;
  dims[1] = S;
  const void *inputs[2] = {x.data(), y.data()};
  const void *params[1] = {w.data()};
  void *outputs[2] = {x.data(), &total};
  EXPECT_SUCCESS(model.run(addMulEntry, dims, inputs, params, outputs));
  EXPECT_EQ(x, expected);
}

//===----------------------------------------------------------------------===//
// Misuse
//===----------------------------------------------------------------------===//

TEST_F(ModelRun, NullDimsWithSymbolicDims) {
  dimsPtr = nullptr;
  EXPECT_FAILURE(run(), ATTNC_ERR_NULL_POINTER,
                 "dims is NULL, but model 'addmul' has 2 symbolic dims");
}

TEST_F(ModelRun, NullInputsStruct) {
  inPtr = nullptr;
  EXPECT_FAILURE(run(), ATTNC_ERR_NULL_POINTER, "inputs is NULL, but model 'addmul' has 2 inputs");
}

TEST_F(ModelRun, NullParamsStructWithParams) {
  parPtr = nullptr;
  EXPECT_FAILURE(run(), ATTNC_ERR_NULL_POINTER, "params is NULL, but model 'addmul' has 1 param");
}

TEST_F(ModelRun, NullOutputsStruct) {
  outPtr = nullptr;
  EXPECT_FAILURE(run(), ATTNC_ERR_NULL_POINTER, "outputs is NULL");
}

TEST_F(ModelRun, NullInputBuffer) {
  prepare();
  in[0] = nullptr;
  EXPECT_FAILURE(call(), ATTNC_ERR_NULL_POINTER, "input 'x' is NULL (it has 24 elements)");
}

TEST_F(ModelRun, NullParamBuffer) {
  prepare();
  par[0] = nullptr;
  EXPECT_FAILURE(call(), ATTNC_ERR_NULL_POINTER, "param 'w' is NULL (it has 4 elements)");
}

TEST_F(ModelRun, NullOutputBuffer) {
  prepare();
  out[0] = nullptr;
  EXPECT_FAILURE(call(), ATTNC_ERR_NULL_POINTER, "output 'o' is NULL");
}

TEST_F(ModelRun, NullScalarOutputBuffer) {
  prepare();
  out[1] = nullptr;
  EXPECT_FAILURE(call(), ATTNC_ERR_NULL_POINTER,
                 "output 'total' is NULL (it has 1 element)");
}

TEST_F(ModelRun, NegativeDim) {
  S = -1;
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT, "dim S is -1, must be >= 0");
}

TEST_F(ModelRun, ElementCountOverflow) {
  B = INT64_C(1) << 31;
  S = INT64_C(1) << 31;
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT,
                 "input 'x': shape [2147483648, 2147483648, 4] is too large");
}

TEST_F(ModelRun, ByteSizeOverflow) {
  // 2^61 elements fit in int64, 2^63 bytes do not.
  B = INT64_C(1) << 30;
  S = INT64_C(1) << 29;
  EXPECT_FAILURE(run(), ATTNC_ERR_INVALID_ARGUMENT, "overflows int64");
}

TEST_F(ModelRun, StructSizeTooSmall) {
  attnc_exec exec{4, 1, nullptr, nullptr, 0};
  EXPECT_FAILURE(run(&exec), ATTNC_ERR_INVALID_ARGUMENT,
                 "exec->struct_size is 4, must be at least 8");
}

TEST_F(ModelRun, ZeroInitialisedExecMeansDefaults) {
  // ABI.md: a zero-initialised attnc_exec means defaults, even struct_size.
  attnc_exec exec{0, 0, nullptr, nullptr, 0};
  EXPECT_EQ(run(&exec), ATTNC_OK) << attnc_last_error();
}

TEST_F(ModelRun, NegativeThreadCount) {
  attnc_exec exec{sizeof(attnc_exec), -2, nullptr, nullptr, 0};
  EXPECT_FAILURE(run(&exec), ATTNC_ERR_INVALID_ARGUMENT, "exec->num_threads is -2");
}

TEST_F(ModelRun, NullEntry) {
  prepare();
  EXPECT_FAILURE(model.run(nullptr, dims, in, par, out), ATTNC_ERR_INTERNAL,
                 "model 'addmul' has no kernel entry");
}

//===----------------------------------------------------------------------===//
// Dim expressions: checks and computed extents
//===----------------------------------------------------------------------===//

class SplitRun : public ::testing::Test {
protected:
  void SetUp() override { expectedRanks() = {2, 1, 1, 1}; }

  attnc_status run(int64_t n, int64_t g) {
    int64_t dims[2] = {n, g};
    const void *inputs[3] = {buffer, buffer, buffer};
    void *outputs[1] = {buffer};
    return model.run(recordingEntry, dims, inputs, nullptr, outputs);
  }

  Model model = splitModel();
  float buffer[64] = {};
};

TEST_F(SplitRun, ExtentsComeFromTheExpressions) {
  EXPECT_SUCCESS(run(6, 5));
  const Received &r = received();
  EXPECT_EQ(r.dimValues, (std::vector<int64_t>{6, 5, 2}));
  EXPECT_EQ(r.tensors[0].sizes, (std::vector<int64_t>{6, 10}));
  EXPECT_EQ(r.tensors[0].strides, (std::vector<int64_t>{10, 1}));
  EXPECT_EQ(r.tensors[1].sizes, std::vector<int64_t>{5});
  EXPECT_EQ(r.tensors[2].sizes, std::vector<int64_t>{3});
  EXPECT_EQ(r.tensors[3].sizes, std::vector<int64_t>{7});
}

TEST_F(SplitRun, NullParamsStructWhenTheModelHasNone) { EXPECT_SUCCESS(run(2, 1)); }

TEST_F(SplitRun, InexactDivisionFailsTheCheck) {
  EXPECT_FAILURE(run(5, 1), ATTNC_ERR_SHAPE_MISMATCH,
                 "shape check 'N / H' does not divide exactly: 5 is not a multiple of 2 (with "
                 "N = 5, G = 1)");
}

TEST_F(SplitRun, ExtentExpressionOverflow) {
  EXPECT_FAILURE(run(2, INT64_MAX / 2 + 1), ATTNC_ERR_INVALID_ARGUMENT,
                 "input 'a': axis 1 extent 'G * H' overflows int64");
}

TEST(ModelRunExpressions, NegativeExtent) {
  ModelBuilder b("trim");
  Expr N = b.dim("N");
  b.input("x", ATTNC_F32, {N}).output("y", ATTNC_F32, {N - 3});
  Model m = b.build();
  float buf[8];
  int64_t dims[1] = {2};
  const void *inputs[1] = {buf};
  void *outputs[1] = {buf};
  EXPECT_FAILURE(m.run(recordingEntry, dims, inputs, nullptr, outputs), ATTNC_ERR_SHAPE_MISMATCH,
                 "output 'y': axis 0 extent 'N - 3' is negative (-1) (with N = 2)");
}

TEST(ModelRunExpressions, DivisionByZeroFailsTheCheck) {
  ModelBuilder b("groups");
  Expr N = b.dim("N"), K = b.dim("K");
  b.input("x", ATTNC_F32, {N}).input("k", ATTNC_F32, {K}).output("y", ATTNC_F32, {N / K});
  b.check(N / K);
  Model m = b.build();
  float buf[8];
  int64_t dims[2] = {4, 0};
  const void *inputs[2] = {buf, nullptr};
  void *outputs[1] = {buf};
  EXPECT_FAILURE(m.run(recordingEntry, dims, inputs, nullptr, outputs), ATTNC_ERR_SHAPE_MISMATCH,
                 "shape check 'N / K' divides 4 by zero");
}

TEST(ModelRunExpressions, ParenthesesInMessages) {
  ModelBuilder b("paren");
  Expr A = b.dim("A"), B = b.dim("B"), C = b.dim("C");
  b.input("x", ATTNC_F32, {A}).input("y", ATTNC_F32, {B}).input("z", ATTNC_F32, {C});
  b.output("o", ATTNC_F32, {(A - (B + C)) * 2});
  Model m = b.build();
  float buf[8];
  int64_t dims[3] = {1, 1, 1};
  const void *inputs[3] = {buf, buf, buf};
  void *outputs[1] = {buf};
  EXPECT_FAILURE(m.run(recordingEntry, dims, inputs, nullptr, outputs), ATTNC_ERR_SHAPE_MISMATCH,
                 "'(A - (B + C)) * 2' is negative (-2)");
}

//===----------------------------------------------------------------------===//
// A model with no dims and no params
//===----------------------------------------------------------------------===//

TEST(ModelRunNoDims, NullDimsAndParamsAreAcceptedAndDimsMemrefHasOneZero) {
  ModelBuilder b("fixed");
  b.input("x", ATTNC_F32, {lit(3)}).output("y", ATTNC_F32, {lit(3)});
  Model m = b.build();
  expectedRanks() = {1, 1};
  float x[3] = {1, 2, 3}, y[3] = {};
  const void *inputs[1] = {x};
  void *outputs[1] = {y};
  EXPECT_SUCCESS(m.run(recordingEntry, nullptr, inputs, nullptr, outputs));
  EXPECT_EQ(received().dims.sizes, std::vector<int64_t>{1});
  EXPECT_EQ(received().dimValues, std::vector<int64_t>{0});
  EXPECT_EQ(received().tensors[1].aligned, static_cast<void *>(y));
  // The one-member placeholder structs may be passed as well.
  int64_t placeholder = 12345;
  const void *noParams[1] = {nullptr};
  EXPECT_SUCCESS(m.run(recordingEntry, &placeholder, inputs, noParams, outputs));
}

} // namespace
