//===- Interpreter.h - The reference interpreter ----------------*- C++ -*-===//
//
// Evaluates a checked model directly from the AST, in double precision, with
// the plainest loops. It shares nothing with the MLIR path but the frontend,
// so that it can serve as the numerical oracle of every test and of
// `attnc run --reference`. See docs/reference.md for the decisions it makes
// where the language leaves room.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_REFERENCE_INTERPRETER_H
#define ATTNC_REFERENCE_INTERPRETER_H

#include "attnc/Frontend/AST.h"
#include "attnc/Reference/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::ref {

/// Evaluates `model`.
///  - `dimValues` holds a value for every dim of the model, indexed like
///    Model::dims (fixed dims hold their fixed value).
///  - `inputs` holds one tensor per Input or Param decl, in declaration order
///    (inputs and params interleaved as declared), already rounded to their
///    storage type by the caller.
/// On success fills `outputs` (one per Output decl, declaration order; Bool
/// results are 0/1) and returns true. On a run-time error (a dim expression
/// that does not divide exactly, a tensor whose shape disagrees with the
/// model, an extent that overflows or exceeds kMaxElements, out of memory)
/// returns false with a message in `error`.
bool evaluate(const ast::Model &model, const std::vector<int64_t> &dimValues,
              const std::vector<Tensor> &inputs, std::vector<Tensor> &outputs,
              std::string &error);

/// Evaluates every extent of `shape` with `dimValues` into `out`. Returns
/// false when an extent overflows, divides inexactly or by zero, is negative,
/// or when the element count overflows 64 bits.
bool evaluateShape(const Shape &shape, const std::vector<int64_t> &dimValues,
                   std::vector<int64_t> &out);

} // namespace attnc::ref

#endif
