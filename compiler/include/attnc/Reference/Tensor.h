//===- Tensor.h - Dense double tensors of the reference path ----*- C++ -*-===//
//
// The reference interpreter, the .npy reader and the input generator exchange
// tensors as dense row-major arrays of doubles, whatever the storage type the
// compiled code uses (f32, f16, bf16 or i32 values are all exact in double).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_REFERENCE_TENSOR_H
#define ATTNC_REFERENCE_TENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::ref {

/// A dense row-major tensor; an empty `shape` is a scalar with one element.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;
};

/// The largest element count the reference path allocates for one tensor
/// (2^31 doubles, 16 GiB). Larger requests are refused with an error instead
/// of exhausting memory.
constexpr int64_t kMaxElements = int64_t(1) << 31;

/// Multiplies the extents of `shape` into `count`. Returns false, with a
/// message in `error`, for a negative extent, a product that overflows 64 bits
/// or one above kMaxElements.
bool elementCount(const std::vector<int64_t> &shape, int64_t &count, std::string &error);

/// Formats a shape as `[2, 3, 4]` for messages.
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace attnc::ref

#endif
