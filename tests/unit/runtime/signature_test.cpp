//===- signature_test.cpp - Bad signatures, attnc_model_output_elements ---===//

#include "test_models.h"

using namespace attnc_test;

namespace {

//===----------------------------------------------------------------------===//
// A signature the runtime cannot read is the compiler's fault: INTERNAL.
//===----------------------------------------------------------------------===//

class BadSignature : public ::testing::Test {
protected:
  attnc_status run() {
    int64_t dims[2] = {1, 1};
    float buf[16] = {};
    const void *inputs[2] = {buf, buf};
    const void *params[1] = {buf};
    void *outputs[2] = {buf, buf};
    return model.run(addMulEntry, dims, inputs, params, outputs);
  }
  attnc_status runTensors() {
    float buf[16] = {};
    std::vector<int64_t> shape{1, 1, 4}, w{4}, scalar;
    std::vector<attnc_tensor> in = {tensor(buf, ATTNC_F32, shape), tensor(buf, ATTNC_F32, shape)};
    std::vector<attnc_tensor> par = {tensor(buf, ATTNC_F32, w)};
    std::vector<attnc_tensor> out = {tensor(buf, ATTNC_F32, shape), tensor(buf, ATTNC_F32, scalar)};
    return model.runTensors(addMulEntry, in, par, out);
  }
  /// Index of the token count of input x's axis `axis`.
  size_t xAxisWord(int axis) {
    // magic, version, name, n_dims, 3 dims * 2, 3 counts, x: name, dtype, rank
    size_t p = 4 + 6 + 3 + 3;
    for (int a = 0; a < axis; ++a)
      p += 1 + static_cast<size_t>(model.sig[p]);
    return p;
  }

  Model model = addMulModel();
};

TEST_F(BadSignature, TheGoodOneWorks) {
  EXPECT_SUCCESS(run());
  EXPECT_SUCCESS(runTensors());
}

TEST_F(BadSignature, WrongMagic) {
  model.sig[0] = 0x12345678;
  EXPECT_FAILURE(run(), ATTNC_ERR_INTERNAL, "not an attnc model signature (magic 0x12345678");
  EXPECT_FAILURE(runTensors(), ATTNC_ERR_INTERNAL, "not an attnc model signature");
}

TEST_F(BadSignature, NewerVersion) {
  model.sig[1] = 2;
  EXPECT_FAILURE(run(), ATTNC_ERR_INTERNAL,
                 "model signature version 2 is not supported by this runtime (version 1)");
}

TEST_F(BadSignature, NullSignature) {
  EXPECT_FAILURE(attnc_model_run(nullptr, model.strings.c_str(), addMulEntry, nullptr, nullptr,
                                 nullptr, nullptr, nullptr),
                 ATTNC_ERR_INTERNAL, "model signature or strings are NULL");
}

TEST_F(BadSignature, NullStrings) {
  EXPECT_FAILURE(attnc_model_run_tensors(model.sig.data(), nullptr, addMulEntry, nullptr, 0,
                                         nullptr, 0, nullptr, 0, nullptr),
                 ATTNC_ERR_INTERNAL, "model signature or strings are NULL");
}

TEST_F(BadSignature, UnknownToken) {
  model.sig[xAxisWord(0) + 1] = 9; // "1 B" becomes "9 B"
  EXPECT_FAILURE(run(), ATTNC_ERR_INTERNAL, "input 'x' axis 0 has unknown token 9");
}

TEST_F(BadSignature, DimIndexOutOfRange) {
  model.sig[xAxisWord(1) + 2] = 3; // dim 3 of 3
  EXPECT_FAILURE(run(), ATTNC_ERR_INTERNAL, "input 'x' axis 1 uses dim 3 of 3");
}

TEST_F(BadSignature, OperatorWithoutOperands) {
  model.sig[xAxisWord(0) + 1] = 2; // "+ 0": an add on an empty stack
  EXPECT_FAILURE(run(), ATTNC_ERR_INTERNAL, "applies an operator to too few operands");
}

TEST_F(BadSignature, EmptyExpression) {
  // Shrinking the first axis to no tokens leaves its words to be read as
  // the next axis, which no longer lines up; the first axis is reported.
  model.sig[xAxisWord(0)] = 0;
  EXPECT_FAILURE(run(), ATTNC_ERR_INTERNAL, "input 'x' axis 0 has 0 tokens");
}

TEST_F(BadSignature, UnknownDtype) {
  model.sig[4 + 6 + 3 + 1] = 11;
  EXPECT_FAILURE(run(), ATTNC_ERR_INTERNAL, "tensor 0 (input) is malformed");
}

TEST_F(BadSignature, NegativeCount) {
  model.sig[4 + 6] = -1;
  EXPECT_FAILURE(run(), ATTNC_ERR_INTERNAL, "bad tensor counts");
}

TEST(BadSignatureExpr, LeavesTwoValues) {
  ModelBuilder b("two");
  Expr N = b.dim("N");
  Expr twoValues{{1, 0, 0, 2}}; // "N 2": no operator
  b.input("x", ATTNC_F32, {N}).output("y", ATTNC_F32, {twoValues});
  Model m = b.build();
  EXPECT_EQ(m.outputElements(nullptr, 0), 0u);
  EXPECT_TRUE(lastErrorContains("output 'y' axis 0 leaves 2 values instead of 1"));
}

TEST(BadSignatureExpr, DeepStack) {
  ModelBuilder b("deep");
  Expr N = b.dim("N");
  Expr deep;
  for (int i = 0; i < 300; ++i)
    deep.tokens.insert(deep.tokens.end(), {0, 1});
  for (int i = 0; i < 299; ++i)
    deep.tokens.push_back(2);
  b.input("x", ATTNC_F32, {N}).check(deep);
  Model m = b.build();
  int64_t dims[1] = {1};
  float buf[1];
  const void *in[1] = {buf};
  EXPECT_FAILURE(m.run(recordingEntry, dims, in, nullptr, nullptr), ATTNC_ERR_INTERNAL,
                 "check 0 needs a stack deeper than 256");
}

//===----------------------------------------------------------------------===//
// attnc_model_output_elements
//===----------------------------------------------------------------------===//

TEST(OutputElements, CountsFromDims) {
  Model m = addMulModel();
  int64_t dims[2] = {5, 7};
  EXPECT_EQ(m.outputElements(dims, 0), 5u * 7u * 4u);
  EXPECT_STREQ(attnc_last_error(), "");
  EXPECT_EQ(m.outputElements(dims, 1), 1u); // a scalar
  Model s = splitModel();
  int64_t nd[2] = {10, 3};
  EXPECT_EQ(s.outputElements(nd, 0), 11u);
}

TEST(OutputElements, ZeroSizedDims) {
  Model m = addMulModel();
  int64_t dims[2] = {0, 7};
  EXPECT_EQ(m.outputElements(dims, 0), 0u);
  EXPECT_STREQ(attnc_last_error(), "");
}

TEST(OutputElements, IndexOutOfRange) {
  Model m = addMulModel();
  int64_t dims[2] = {1, 1};
  EXPECT_EQ(m.outputElements(dims, 2), 0u);
  EXPECT_TRUE(lastErrorContains("output index 2 is out of range: model 'addmul' has 2 outputs"));
  EXPECT_EQ(m.outputElements(dims, -1), 0u);
  EXPECT_TRUE(lastErrorContains("output index -1"));
}

TEST(OutputElements, NullDims) {
  Model m = addMulModel();
  EXPECT_EQ(m.outputElements(nullptr, 0), 0u);
  EXPECT_TRUE(lastErrorContains("dims is NULL"));
}

TEST(OutputElements, NullDimsWithoutSymbolicDims) {
  ModelBuilder b("fixed");
  b.input("x", ATTNC_F32, {lit(3), lit(2)}).output("y", ATTNC_F32, {lit(3), lit(2)});
  EXPECT_EQ(b.build().outputElements(nullptr, 0), 6u);
}

TEST(OutputElements, NegativeDim) {
  Model m = addMulModel();
  int64_t dims[2] = {-4, 1};
  EXPECT_EQ(m.outputElements(dims, 0), 0u);
  EXPECT_TRUE(lastErrorContains("dim B is -4"));
}

TEST(OutputElements, FailingCheck) {
  Model m = splitModel();
  int64_t dims[2] = {9, 1};
  EXPECT_EQ(m.outputElements(dims, 0), 0u);
  EXPECT_TRUE(lastErrorContains("shape check 'N / H'"));
}

TEST(OutputElements, Overflow) {
  Model m = addMulModel();
  int64_t dims[2] = {INT64_C(1) << 40, INT64_C(1) << 40};
  EXPECT_EQ(m.outputElements(dims, 0), 0u);
  EXPECT_TRUE(lastErrorContains("output 'o': the element count overflows"));
}

TEST(OutputElements, BadSignature) {
  Model m = addMulModel();
  m.sig[0] = 0;
  int64_t dims[2] = {1, 1};
  EXPECT_EQ(m.outputElements(dims, 0), 0u);
  EXPECT_TRUE(lastErrorContains("not an attnc model signature"));
  EXPECT_EQ(attnc_model_output_elements(nullptr, nullptr, dims, 0), 0u);
}

} // namespace
