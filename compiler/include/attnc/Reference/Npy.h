//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
//
// Just enough of the .npy format for test data: format versions 1, 2 and 3,
// little-endian f4/f8/f2/i4 elements, C order. Every malformed file yields a
// false return with a message; nothing is trusted before it is checked.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_REFERENCE_NPY_H
#define ATTNC_REFERENCE_NPY_H

#include "attnc/Reference/Tensor.h"

#include <string>

namespace attnc::ref {

/// The element types understood, by their .npy descriptor.
enum class NpyType {
  F32,  // '<f4'
  F64,  // '<f8'
  F16,  // '<f2'
  I32,  // '<i4'
  I64,  // '<i8'
};
const char *npyDescr(NpyType type);

/// Decodes the bytes of a .npy file into doubles. `type`, when given,
/// receives the file's element type.
bool parseNpy(const std::string &bytes, Tensor &out, std::string &error,
              NpyType *type = nullptr);
/// Reads and decodes a file; messages start with the path.
bool readNpy(const std::string &path, Tensor &out, std::string &error,
             NpyType *type = nullptr);

/// Encodes `t` (values rounded to `type`, ties to even; i32 saturates) as a
/// version 1.0 file, or 2.0 when the header would not fit. Fails when the
/// data does not match the shape.
bool encodeNpy(const Tensor &t, NpyType type, std::string &bytes, std::string &error);
bool writeNpy(const std::string &path, const Tensor &t, NpyType type, std::string &error);

} // namespace attnc::ref

#endif
