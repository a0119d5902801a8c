//===- ScalarSemantics.cpp - One element of attn's element-wise ops -------===//

#include "attnc/Dialect/Attn/IR/ScalarSemantics.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;

namespace attnc::attn::scalar {

static bool isFloat(Type t) { return isa<FloatType>(getElementTypeOrSelf(t)); }

Type shapedLike(Type element, Type like) {
  if (auto v = dyn_cast<VectorType>(like))
    return VectorType::get(v.getShape(), element);
  return element;
}

/// The constant `value` (of a scalar type), splat when `type` is a vector.
static Value constant(OpBuilder &b, Location loc, TypedAttr value, Type type) {
  if (auto v = dyn_cast<VectorType>(type))
    value = DenseElementsAttr::get(v, value);
  return b.create<arith::ConstantOp>(loc, value);
}

Value cast(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  Type fromElem = getElementTypeOrSelf(from), toElem = getElementTypeOrSelf(to);
  if (isFloat(from) && isFloat(to)) {
    if (fromElem.getIntOrFloatBitWidth() < toElem.getIntOrFloatBitWidth())
      return b.create<arith::ExtFOp>(loc, to, v);
    return b.create<arith::TruncFOp>(loc, to, v);
  }
  // Integers and index go through i64, the width of index on our targets.
  Type i64 = shapedLike(b.getI64Type(), to);
  if (fromElem.isIndex()) {
    v = b.create<arith::IndexCastOp>(loc, i64, v);
    from = i64;
    fromElem = b.getI64Type();
  }
  if (isFloat(from)) {
    if (toElem.isInteger(1))
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, v,
                                     constant(b, loc, b.getFloatAttr(fromElem, 0.0), from));
    Value i = b.create<arith::FPToSIOp>(loc, i64, v);
    return cast(b, loc, i, to);
  }
  // `from` is now an integer.
  if (isFloat(to)) {
    if (fromElem.isInteger(1))
      return b.create<arith::UIToFPOp>(loc, to, v);
    return b.create<arith::SIToFPOp>(loc, to, v);
  }
  if (toElem.isIndex()) {
    if (fromElem.isInteger(1))
      v = b.create<arith::ExtUIOp>(loc, i64, v);
    else if (from != i64)
      v = b.create<arith::ExtSIOp>(loc, i64, v);
    return b.create<arith::IndexCastOp>(loc, to, v);
  }
  if (toElem.isInteger(1))
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, v,
                                   constant(b, loc, b.getIntegerAttr(fromElem, 0), from));
  unsigned fw = fromElem.getIntOrFloatBitWidth(), tw = toElem.getIntOrFloatBitWidth();
  if (fw < tw)
    return fromElem.isInteger(1) ? Value(b.create<arith::ExtUIOp>(loc, to, v))
                                 : Value(b.create<arith::ExtSIOp>(loc, to, v));
  return b.create<arith::TruncIOp>(loc, to, v);
}

Value floatConst(OpBuilder &b, Location loc, double v, Type like) {
  return constant(b, loc, b.getF32FloatAttr(static_cast<float>(v)),
                  like ? shapedLike(b.getF32Type(), like) : b.getF32Type());
}

Value intConst(OpBuilder &b, Location loc, Type t, int64_t v) {
  return constant(b, loc, b.getIntegerAttr(getElementTypeOrSelf(t), v), t);
}

/// Python's modulo: the result takes the sign of the divisor.
static Value pythonMod(OpBuilder &b, Location loc, Value r, Value divisor, Value zero,
                       bool isFloatType) {
  Value rNeg, dNeg, rNonZero;
  if (isFloatType) {
    rNeg = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, r, zero);
    dNeg = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, divisor, zero);
    rNonZero = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, r, zero);
  } else {
    rNeg = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, r, zero);
    dNeg = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, divisor, zero);
    rNonZero = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, r, zero);
  }
  Value signsDiffer = b.create<arith::XOrIOp>(loc, rNeg, dNeg);
  Value adjust = b.create<arith::AndIOp>(loc, signsDiffer, rNonZero);
  Value adjusted = isFloatType ? Value(b.create<arith::AddFOp>(loc, r, divisor))
                               : Value(b.create<arith::AddIOp>(loc, r, divisor));
  return b.create<arith::SelectOp>(loc, adjust, adjusted, r);
}

/// Integer division and modulo never trap (docs/language.md): by zero they
/// give 0, and the one quotient that overflows, MIN / -1, wraps to MIN (with
/// the remainder 0), which is what dividing by 1 instead gives.
Value intDivOrMod(OpBuilder &b, Location loc, Value lhs, Value rhs, bool isMod) {
  Type t = lhs.getType();
  Type element = getElementTypeOrSelf(t);
  unsigned width = element.isIndex() ? 64 : element.getIntOrFloatBitWidth();
  Value zero = intConst(b, loc, t, 0), one = intConst(b, loc, t, 1);
  Value min = intConst(b, loc, t, llvm::APInt::getSignedMinValue(width).getSExtValue());
  Value isZero = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rhs, zero);
  Value overflows = b.create<arith::AndIOp>(
      loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, lhs, min),
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rhs, intConst(b, loc, t, -1)));
  Value safe = b.create<arith::SelectOp>(
      loc, b.create<arith::OrIOp>(loc, isZero, overflows), one, rhs);
  Value r = isMod ? pythonMod(b, loc, b.create<arith::RemSIOp>(loc, lhs, safe), safe, zero, false)
                  : Value(b.create<arith::FloorDivSIOp>(loc, lhs, safe));
  return b.create<arith::SelectOp>(loc, isZero, zero, r);
}

Value floatMod(OpBuilder &b, Location loc, Value x, Value y) {
  return pythonMod(b, loc, b.create<arith::RemFOp>(loc, x, y), y,
                   floatConst(b, loc, 0.0, x.getType()), true);
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
  Value one = floatConst(b, loc, 1.0, x.getType());
  return b.create<arith::DivFOp>(loc, one, b.create<arith::AddFOp>(loc, one, e));
}

Value gelu(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value scaled = b.create<arith::MulFOp>(loc, x, floatConst(b, loc, M_SQRT1_2, type));
  Value erf = b.create<math::ErfOp>(loc, scaled);
  Value onePlus = b.create<arith::AddFOp>(loc, floatConst(b, loc, 1.0, type), erf);
  Value half = b.create<arith::MulFOp>(loc, x, floatConst(b, loc, 0.5, type));
  return b.create<arith::MulFOp>(loc, half, onePlus);
}

Value silu(OpBuilder &b, Location loc, Value x) {
  return b.create<arith::MulFOp>(loc, x, sigmoid(b, loc, x));
}

Value softplus(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value zero = floatConst(b, loc, 0.0, type);
  Value tail = b.create<math::Log1pOp>(
      loc, b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, b.create<math::AbsFOp>(loc, x))));
  return b.create<arith::AddFOp>(loc, b.create<arith::MaximumFOp>(loc, x, zero), tail);
}

Value roundToInt(OpBuilder &b, Location loc, Value x, Rounding mode, Type resultType) {
  if (!isFloat(x.getType()))
    return cast(b, loc, x, resultType);
  Type f32 = shapedLike(b.getF32Type(), x.getType());
  Value f = cast(b, loc, x, f32);
  switch (mode) {
  case Rounding::Floor: f = b.create<math::FloorOp>(loc, f); break;
  case Rounding::Ceil: f = b.create<math::CeilOp>(loc, f); break;
  case Rounding::HalfToEven: f = b.create<math::RoundEvenOp>(loc, f); break;
  case Rounding::TowardZero: f = b.create<math::TruncOp>(loc, f); break;
  }
  // f32 holds -2^31 and 2^31 exactly; everything in [-2^31, 2^31) converts.
  auto compare = [&](arith::CmpFPredicate p, double bound) {
    return b.create<arith::CmpFOp>(loc, p, f, floatConst(b, loc, bound, f32));
  };
  Value high = compare(arith::CmpFPredicate::OGE, 2147483648.0);
  Value low = compare(arith::CmpFPredicate::OLT, -2147483648.0);
  Value nan = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, f, f);
  Value outside = b.create<arith::OrIOp>(loc, b.create<arith::OrIOp>(loc, high, low), nan);
  Value safe = b.create<arith::SelectOp>(loc, outside, floatConst(b, loc, 0.0, f32), f);
  Type i64 = shapedLike(b.getI64Type(), x.getType());
  Value i = b.create<arith::FPToSIOp>(loc, i64, safe);
  i = b.create<arith::SelectOp>(loc, high, intConst(b, loc, i64, INT32_MAX), i);
  i = b.create<arith::SelectOp>(loc, low, intConst(b, loc, i64, INT32_MIN), i);
  return cast(b, loc, i, resultType);
}

static arith::CmpFPredicate floatPredicate(CmpPredicate p) {
  switch (p) {
  case CmpPredicate::lt: return arith::CmpFPredicate::OLT;
  case CmpPredicate::le: return arith::CmpFPredicate::OLE;
  case CmpPredicate::gt: return arith::CmpFPredicate::OGT;
  case CmpPredicate::ge: return arith::CmpFPredicate::OGE;
  case CmpPredicate::eq: return arith::CmpFPredicate::OEQ;
  case CmpPredicate::ne: return arith::CmpFPredicate::UNE;
  }
  llvm_unreachable("unknown predicate");
}

static arith::CmpIPredicate intPredicate(CmpPredicate p) {
  switch (p) {
  case CmpPredicate::lt: return arith::CmpIPredicate::slt;
  case CmpPredicate::le: return arith::CmpIPredicate::sle;
  case CmpPredicate::gt: return arith::CmpIPredicate::sgt;
  case CmpPredicate::ge: return arith::CmpIPredicate::sge;
  case CmpPredicate::eq: return arith::CmpIPredicate::eq;
  case CmpPredicate::ne: return arith::CmpIPredicate::ne;
  }
  llvm_unreachable("unknown predicate");
}

/// The type arithmetic is done in: f32 if any operand is a number, else i64
/// (vectors of them for vector operands).
static Type computeType(OpBuilder &b, ValueRange operands) {
  for (Value v : operands)
    if (isFloat(v.getType()))
      return shapedLike(b.getF32Type(), v.getType());
  return shapedLike(b.getI64Type(), operands[0].getType());
}

Value compare(OpBuilder &b, Location loc, CmpPredicate predicate, ValueRange operands) {
  Type t = computeType(b, operands);
  Value l = cast(b, loc, operands[0], t), r = cast(b, loc, operands[1], t);
  if (isFloat(t))
    return b.create<arith::CmpFOp>(loc, floatPredicate(predicate), l, r);
  return b.create<arith::CmpIOp>(loc, intPredicate(predicate), l, r);
}

Value logical(OpBuilder &b, Location loc, ValueRange operands, Type resultType,
              function_ref<Value(ArrayRef<Value>)> compute) {
  SmallVector<Value> xs;
  for (Value v : operands)
    xs.push_back(cast(b, loc, v, shapedLike(b.getI1Type(), v.getType())));
  return cast(b, loc, compute(xs), resultType);
}

Value arithmetic(OpBuilder &b, Location loc, ValueRange operands, Type resultType,
                 function_ref<Value(Value x, Value y, bool isFloat, Type type)> compute) {
  bool fl = isFloat(resultType);
  Type t = shapedLike(fl ? Type(b.getF32Type()) : Type(b.getI64Type()), resultType);
  SmallVector<Value> xs;
  for (Value v : operands)
    xs.push_back(cast(b, loc, v, t));
  Value r = compute(xs[0], xs.size() > 1 ? xs[1] : Value(), fl, t);
  return cast(b, loc, r, resultType);
}

} // namespace attnc::attn::scalar
