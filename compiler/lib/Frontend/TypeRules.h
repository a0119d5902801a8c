//===- TypeRules.h - Element promotion and broadcasting ---------*- C++ -*-===//
//
// Private to the checker. Pure functions over types and shapes, with no
// diagnostics, so that the rules can be read (and tested) in one place.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_LIB_FRONTEND_TYPERULES_H
#define ATTNC_LIB_FRONTEND_TYPERULES_H

#include "attnc/Frontend/AST.h"

#include <string>
#include <vector>

namespace attnc::typerules {

/// The element part of a type. `weak` marks a float whose precision comes
/// only from literals, dims or integers (`0.5`, `sqrt(D)`): like a Python
/// scalar in NumPy 2 / PyTorch, it does not widen a f16 or bf16 tensor.
struct Elem {
  ast::ElemKind kind = ast::ElemKind::Float;
  ast::DType dtype = ast::DType::F32;
  bool weak = false;
};

Elem elemOf(const ast::ValueType &t, bool weak);
ast::ValueType makeType(const Elem &e, Shape shape);
Elem intElem();
Elem boolElem();
/// A float literal.
Elem weakFloat();

bool isNumber(const ast::ValueType &t);
/// The common element of two numbers: Int op Int is Int; an Int operand
/// takes the other operand's float type; weak floats take the strong one;
/// f32 with anything is f32, f16 with bf16 is f32.
Elem promote(const Elem &a, const Elem &b);
/// Int becomes a weak f32, floats stay as they are.
Elem toFloat(const Elem &a);

bool isOne(const DimExpr &e);

/// NumPy broadcasting: axes aligned from the right, equal extents or one of
/// them 1. On failure returns false with the offending axis of each operand.
bool broadcastShapes(const Shape &a, const Shape &b, Shape &out, size_t &axisA, size_t &axisB);

/// "last axes differ (64 vs 80)", "axes 2 differ (S vs T)" or
/// "axis 2 and axis 1 differ (S vs T)".
std::string axesDiffer(const Shape &a, size_t axisA, const Shape &b, size_t axisB,
                       const std::vector<std::string> &dimNames);

/// "[B, S, 64]".
std::string shapeToString(const Shape &s, const std::vector<std::string> &dimNames);

} // namespace attnc::typerules

#endif
