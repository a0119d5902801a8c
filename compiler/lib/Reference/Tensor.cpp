//===- Tensor.cpp - Element counts and shape printing -----------*- C++ -*-===//

#include "attnc/Reference/Tensor.h"

namespace attnc::ref {

bool elementCount(const std::vector<int64_t> &shape, int64_t &count, std::string &error) {
  count = 0;
  bool empty = false;
  for (int64_t extent : shape) {
    if (extent < 0) {
      error = "negative extent in shape " + shapeString(shape);
      return false;
    }
    empty = empty || extent == 0;
  }
  if (empty)
    return true;  // a zero extent makes any product of the others harmless
  int64_t product = 1;
  for (int64_t extent : shape) {
    if (product > kMaxElements / extent) {
      error = "tensor of shape " + shapeString(shape) + " has more than 2^31 elements";
      return false;
    }
    product *= extent;
  }
  count = product;
  return true;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

} // namespace attnc::ref
