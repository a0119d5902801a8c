//===- TypeRules.cpp - Element promotion and broadcasting -----------------===//

#include "TypeRules.h"

namespace attnc::typerules {

using namespace ast;

Elem elemOf(const ValueType &t, bool weak) {
  return Elem{t.kind, t.dtype, t.kind == ElemKind::Float && weak};
}

ValueType makeType(const Elem &e, Shape shape) {
  ValueType t;
  t.kind = e.kind;
  t.dtype = e.kind == ElemKind::Float ? e.dtype : DType::I32;
  t.shape = std::move(shape);
  return t;
}

Elem intElem() { return Elem{ElemKind::Int, DType::I32, false}; }
Elem boolElem() { return Elem{ElemKind::Bool, DType::I32, false}; }
Elem weakFloat() { return Elem{ElemKind::Float, DType::F32, true}; }

bool isNumber(const ValueType &t) { return t.kind != ElemKind::Bool; }

Elem promote(const Elem &a, const Elem &b) {
  if (a.kind == ElemKind::Int && b.kind == ElemKind::Int)
    return intElem();
  if (a.kind == ElemKind::Int)
    return b;
  if (b.kind == ElemKind::Int)
    return a;
  if (a.weak && b.weak)
    return weakFloat();
  if (a.weak)
    return b;
  if (b.weak)
    return a;
  if (a.dtype == b.dtype)
    return a;
  return Elem{ElemKind::Float, DType::F32, false};
}

Elem toFloat(const Elem &a) { return a.kind == ElemKind::Float ? a : weakFloat(); }

bool isOne(const DimExpr &e) { return e.getConstant() == 1; }

bool broadcastShapes(const Shape &a, const Shape &b, Shape &out, size_t &axisA, size_t &axisB) {
  size_t n = std::max(a.size(), b.size());
  Shape r(n);
  for (size_t k = 0; k < n; ++k) { // k counts from the right
    bool hasA = k < a.size(), hasB = k < b.size();
    const DimExpr *ea = hasA ? &a[a.size() - 1 - k] : nullptr;
    const DimExpr *eb = hasB ? &b[b.size() - 1 - k] : nullptr;
    DimExpr &slot = r[n - 1 - k];
    if (!hasA)
      slot = *eb;
    else if (!hasB || *ea == *eb || isOne(*eb))
      slot = *ea;
    else if (isOne(*ea))
      slot = *eb;
    else {
      axisA = a.size() - 1 - k;
      axisB = b.size() - 1 - k;
      return false;
    }
  }
  out = std::move(r);
  return true;
}

std::string axesDiffer(const Shape &a, size_t axisA, const Shape &b, size_t axisB,
                       const std::vector<std::string> &dimNames) {
  std::string values = " (" + a[axisA].str(dimNames) + " vs " + b[axisB].str(dimNames) + ")";
  if (axisA + 1 == a.size() && axisB + 1 == b.size())
    return "last axes differ" + values;
  if (axisA == axisB)
    return "axes " + std::to_string(axisA) + " differ" + values;
  return "axis " + std::to_string(axisA) + " and axis " + std::to_string(axisB) + " differ" +
         values;
}

std::string shapeToString(const Shape &s, const std::vector<std::string> &dimNames) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + s[i].str(dimNames);
  return out + "]";
}

} // namespace attnc::typerules
