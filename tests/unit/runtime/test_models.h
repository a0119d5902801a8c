//===- test_models.h - Models and fake kernels shared by runtime tests ----===//
#ifndef ATTNC_TESTS_UNIT_RUNTIME_TEST_MODELS_H
#define ATTNC_TESTS_UNIT_RUNTIME_TEST_MODELS_H

#include "model_builder.h"

#include <functional>

namespace attnc_test {

/// One memref descriptor as a kernel received it.
struct Descriptor {
  void *allocated = nullptr;
  void *aligned = nullptr;
  int64_t offset = -1;
  std::vector<int64_t> sizes, strides;
};

/// Everything the last fake kernel received.
struct Received {
  attnc_kernel_ctx *ctx = nullptr;
  int32_t threads = 0;
  Descriptor dims;                 // the dims memref
  std::vector<int64_t> dimValues;  // its contents
  std::vector<Descriptor> tensors; // inputs, params, outputs
};
Received &received();

/// Ranks of the tensors the recording entry expects, in argument order.
std::vector<int> &expectedRanks();

/// A kernel that records its arguments (ranks from expectedRanks()) and
/// writes nothing.
void recordingEntry(void **args);

/// model addmul {
///   dim B, S, E = 4
///   input x: f32[B, S, E], y: f32[B, S, E]
///   param w: f32[E]
///   output o = x + y * w        # f32[B, S, E]
///   output total = sum(o)       # f32, a scalar
/// }
Model addMulModel();
/// Records its arguments, then computes o (rows in parallel) and total.
void addMulEntry(void **args);

/// model split {
///   dim N, G, H = 2
///   input a: f32[N, G * H], g: i32[G], b: f16[N / H]
///   output o: f32[N + 1]
/// }  with the check N / H.
Model splitModel();

/// Runs `model` with `dims` on `threads` threads (with the caller's
/// workspace, if given), with a kernel that calls `body` with its context;
/// returns the run's status.
attnc_status runWithContext(const Model &model, const int64_t *dims, int32_t threads,
                            std::function<void(attnc_kernel_ctx *)> body,
                            void *workspace = nullptr, size_t workspaceBytes = 0);

/// attnc_model_workspace_bytes of `model` with a kernel that calls `body`.
size_t workspaceBytes(const Model &model, const int64_t *dims,
                      std::function<void(attnc_kernel_ctx *)> body);

} // namespace attnc_test

#endif
