//===- Storage.h - Storage types of tensors, seen from doubles --*- C++ -*-===//
//
// Compiled code stores f32 tensors as float, f16 and bf16 as 16-bit patterns
// and i32 as int32_t. The reference path computes in double; these helpers
// round doubles to what a storage type can hold (round to nearest, ties to
// even, computed directly from the double so there is no double rounding) and
// convert between doubles and the raw buffers the compiled code reads and
// writes (host byte order).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_REFERENCE_STORAGE_H
#define ATTNC_REFERENCE_STORAGE_H

#include "attnc/Frontend/AST.h"
#include "attnc/Reference/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attnc::ref {

/// IEEE binary16 and bfloat16 bit patterns. Overflow gives infinity, NaN a
/// quiet NaN with the input's sign.
uint16_t doubleToF16Bits(double v);
double f16BitsToDouble(uint16_t bits);
uint16_t doubleToBF16Bits(double v);
double bf16BitsToDouble(uint16_t bits);
/// Rounds to the nearest float (ties to even); beyond the float range, inf.
float doubleToF32(double v);
/// Rounds to the nearest integer (ties to even), saturating to the int32
/// range; NaN becomes 0.
int32_t doubleToI32(double v);

/// The value `v` becomes once stored as `dtype` and read back.
double roundToStorage(double v, ast::DType dtype);
void roundToStorage(Tensor &t, ast::DType dtype);

/// Bytes per element of `dtype` in the ABI (4 for f32/i32, 2 for f16/bf16).
size_t storageBytes(ast::DType dtype);

/// Converts `t` to the raw buffer of `dtype` (rounding as above).
std::vector<uint8_t> packStorage(const Tensor &t, ast::DType dtype);
/// Reads a raw buffer of `dtype` holding a tensor of `shape`; `bytes` must be
/// exactly the tensor's size. Returns false with a message otherwise.
bool unpackStorage(const void *data, size_t bytes, ast::DType dtype,
                   const std::vector<int64_t> &shape, Tensor &out, std::string &error);

} // namespace attnc::ref

#endif
