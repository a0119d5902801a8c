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
#include <new>
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

/// While one is alive, a failed allocation throws std::bad_alloc instead of
/// calling the process's new-handler (LLVM's tools install one that aborts),
/// so that the reference path reports running out of memory as an error
/// naming the tensor. Not for use while other threads allocate.
class ThrowOnOutOfMemory {
public:
  ThrowOnOutOfMemory() : saved_(std::set_new_handler(nullptr)) {}
  ~ThrowOnOutOfMemory() { std::set_new_handler(saved_); }
  ThrowOnOutOfMemory(const ThrowOnOutOfMemory &) = delete;
  ThrowOnOutOfMemory &operator=(const ThrowOnOutOfMemory &) = delete;

private:
  std::new_handler saved_;
};

} // namespace attnc::ref

#endif
