//===- c_api_test.cpp - The runtime through a C "generated" object --------===//

#include "c_model.h"
#include "model_builder.h"

#include <vector>

using namespace attnc_test;

namespace {

TEST(CModel, TypedEntry) {
  const int64_t n = 11;
  std::vector<float> x(n * 3), y(n * 3, 0);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(i);
  float s = 0.5f;
  demo_dims dims{n};
  demo_inputs in{x.data()};
  demo_params params{&s};
  demo_outputs out{y.data()};
  attnc_exec exec{sizeof(attnc_exec), 2, nullptr, nullptr, 0};
  EXPECT_SUCCESS(demo_run(&dims, &in, &params, &out, &exec));
  for (size_t i = 0; i < y.size(); ++i)
    EXPECT_EQ(y[i], x[i] * 0.5f);
  EXPECT_EQ(demo_output_elements(&dims, 0), static_cast<size_t>(n * 3));
}

TEST(CModel, TensorEntry) {
  std::vector<float> x(12, 2.0f), y(12, 0);
  float s = 3;
  std::vector<int64_t> shape{4, 3}, scalar;
  attnc_tensor in = tensor(x.data(), ATTNC_F32, shape);
  attnc_tensor par = tensor(&s, ATTNC_F32, scalar);
  attnc_tensor out = tensor(y.data(), ATTNC_F32, shape);
  EXPECT_SUCCESS(demo_run_tensors(&in, 1, &par, 1, &out, 1, nullptr));
  EXPECT_EQ(y, std::vector<float>(12, 6.0f));
}

TEST(CModel, Misuse) {
  demo_inputs in{nullptr};
  float s = 1, y[6];
  demo_params params{&s};
  demo_outputs out{y};
  demo_dims dims{2};
  EXPECT_FAILURE(demo_run(&dims, &in, &params, &out, nullptr), ATTNC_ERR_NULL_POINTER,
                 "input 'x' is NULL (it has 6 elements)");
  std::vector<int64_t> shape{2, 4}, scalar;
  attnc_tensor tin = tensor(y, ATTNC_F32, shape);
  attnc_tensor tpar = tensor(&s, ATTNC_F32, scalar);
  attnc_tensor tout = tensor(y, ATTNC_F32, shape);
  EXPECT_FAILURE(demo_run_tensors(&tin, 1, &tpar, 1, &tout, 1, nullptr),
                 ATTNC_ERR_SHAPE_MISMATCH, "input 'x': axis 1 is 4, dim K is fixed at 3");
}

} // namespace
