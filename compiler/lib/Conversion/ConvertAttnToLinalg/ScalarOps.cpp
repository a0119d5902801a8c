//===- ScalarOps.cpp - Scalar semantics of attn's element-wise ops --------===//

#include "ScalarOps.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace attnc::attn;

namespace attnc {

static bool isFloat(Type t) { return isa<FloatType>(t); }

Value castScalar(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (isFloat(from) && isFloat(to)) {
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return b.create<arith::ExtFOp>(loc, to, v);
    return b.create<arith::TruncFOp>(loc, to, v);
  }
  // Integers and index go through i64, the width of index on our targets.
  Type i64 = b.getI64Type();
  if (from.isIndex()) {
    v = b.create<arith::IndexCastOp>(loc, i64, v);
    from = i64;
  }
  if (isFloat(from)) {
    if (to.isInteger(1))
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, v,
                                     b.create<arith::ConstantOp>(loc, b.getFloatAttr(from, 0.0)));
    Value i = b.create<arith::FPToSIOp>(loc, i64, v);
    return castScalar(b, loc, i, to);
  }
  // `from` is now an integer.
  if (isFloat(to)) {
    if (from.isInteger(1))
      return b.create<arith::UIToFPOp>(loc, to, v);
    return b.create<arith::SIToFPOp>(loc, to, v);
  }
  if (to.isIndex()) {
    if (from.isInteger(1))
      v = b.create<arith::ExtUIOp>(loc, i64, v);
    else if (from != i64)
      v = b.create<arith::ExtSIOp>(loc, i64, v);
    return b.create<arith::IndexCastOp>(loc, to, v);
  }
  if (to.isInteger(1))
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, v,
                                   b.create<arith::ConstantOp>(loc, b.getIntegerAttr(from, 0)));
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw < tw)
    return from.isInteger(1) ? Value(b.create<arith::ExtUIOp>(loc, to, v))
                             : Value(b.create<arith::ExtSIOp>(loc, to, v));
  return b.create<arith::TruncIOp>(loc, to, v);
}

static Value floatConst(OpBuilder &b, Location loc, double v) {
  return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(static_cast<float>(v)));
}

static Value intConst(OpBuilder &b, Location loc, Type t, int64_t v) {
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(t, v));
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
static Value intDivOrMod(OpBuilder &b, Location loc, Value lhs, Value rhs, bool isMod) {
  Type t = lhs.getType();
  unsigned width = t.isIndex() ? 64 : t.getIntOrFloatBitWidth();
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

/// The type arithmetic is done in: f32 if any operand is a number, else i64.
static Type computeType(OpBuilder &b, ValueRange operands) {
  for (Value v : operands)
    if (isFloat(v.getType()))
      return b.getF32Type();
  return b.getI64Type();
}

Value buildScalarOp(OpBuilder &b, Location loc, Operation *op, ValueRange operands,
                    Type resultType) {
  if (isa<ConvertOp>(op))
    return castScalar(b, loc, operands[0], resultType);

  if (auto cmp = dyn_cast<CmpOp>(op)) {
    Type t = computeType(b, operands);
    Value l = castScalar(b, loc, operands[0], t), r = castScalar(b, loc, operands[1], t);
    if (isFloat(t))
      return b.create<arith::CmpFOp>(loc, floatPredicate(cmp.getPredicate()), l, r);
    return b.create<arith::CmpIOp>(loc, intPredicate(cmp.getPredicate()), l, r);
  }
  if (isa<AndOp, OrOp, NotOp>(op)) {
    Type i1 = b.getI1Type();
    Value l = castScalar(b, loc, operands[0], i1);
    if (isa<NotOp>(op))
      return b.create<arith::XOrIOp>(loc, l, intConst(b, loc, i1, 1));
    Value r = castScalar(b, loc, operands[1], i1);
    if (isa<AndOp>(op))
      return b.create<arith::AndIOp>(loc, l, r);
    return b.create<arith::OrIOp>(loc, l, r);
  }
  if (isa<WhereOp>(op)) {
    Value c = castScalar(b, loc, operands[0], b.getI1Type());
    Value t = castScalar(b, loc, operands[1], resultType);
    Value f = castScalar(b, loc, operands[2], resultType);
    return b.create<arith::SelectOp>(loc, c, t, f);
  }

  // Arithmetic: computed in the result type (f32 for numbers, i64 for
  // integers), then cast to the result type.
  bool fl = isFloat(resultType);
  Type t = fl ? Type(b.getF32Type()) : Type(b.getI64Type());
  SmallVector<Value> xs;
  for (Value v : operands)
    xs.push_back(castScalar(b, loc, v, t));
  Value x = xs[0];
  Value y = xs.size() > 1 ? xs[1] : Value();
  Value r =
      llvm::TypeSwitch<Operation *, Value>(op)
          .Case([&](NegOp) -> Value {
            if (fl)
              return b.create<arith::NegFOp>(loc, x);
            return b.create<arith::SubIOp>(loc, intConst(b, loc, t, 0), x);
          })
          .Case([&](AbsOp) -> Value {
            if (fl)
              return b.create<math::AbsFOp>(loc, x);
            return b.create<math::AbsIOp>(loc, x);
          })
          .Case([&](ExpOp) -> Value { return b.create<math::ExpOp>(loc, x); })
          .Case([&](LogOp) -> Value { return b.create<math::LogOp>(loc, x); })
          .Case([&](SqrtOp) -> Value { return b.create<math::SqrtOp>(loc, x); })
          .Case([&](RsqrtOp) -> Value { return b.create<math::RsqrtOp>(loc, x); })
          .Case([&](TanhOp) -> Value { return b.create<math::TanhOp>(loc, x); })
          .Case([&](SinOp) -> Value { return b.create<math::SinOp>(loc, x); })
          .Case([&](CosOp) -> Value { return b.create<math::CosOp>(loc, x); })
          .Case([&](SigmoidOp) -> Value {
            Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
            Value one = floatConst(b, loc, 1.0);
            return b.create<arith::DivFOp>(loc, one, b.create<arith::AddFOp>(loc, one, e));
          })
          .Case([&](ReluOp) -> Value {
            if (fl)
              return b.create<arith::MaximumFOp>(loc, x, floatConst(b, loc, 0.0));
            return b.create<arith::MaxSIOp>(loc, x, intConst(b, loc, t, 0));
          })
          .Case([&](GeluOp) -> Value {
            Value scaled = b.create<arith::MulFOp>(loc, x, floatConst(b, loc, M_SQRT1_2));
            Value erf = b.create<math::ErfOp>(loc, scaled);
            Value onePlus = b.create<arith::AddFOp>(loc, floatConst(b, loc, 1.0), erf);
            Value half = b.create<arith::MulFOp>(loc, x, floatConst(b, loc, 0.5));
            return b.create<arith::MulFOp>(loc, half, onePlus);
          })
          .Case([&](AddOp) -> Value {
            if (fl)
              return b.create<arith::AddFOp>(loc, x, y);
            return b.create<arith::AddIOp>(loc, x, y);
          })
          .Case([&](SubOp) -> Value {
            if (fl)
              return b.create<arith::SubFOp>(loc, x, y);
            return b.create<arith::SubIOp>(loc, x, y);
          })
          .Case([&](MulOp) -> Value {
            if (fl)
              return b.create<arith::MulFOp>(loc, x, y);
            return b.create<arith::MulIOp>(loc, x, y);
          })
          .Case([&](DivOp) -> Value {
            if (fl)
              return b.create<arith::DivFOp>(loc, x, y);
            return intDivOrMod(b, loc, x, y, /*isMod=*/false);
          })
          .Case([&](ModOp) -> Value {
            if (fl)
              return pythonMod(b, loc, b.create<arith::RemFOp>(loc, x, y), y,
                               floatConst(b, loc, 0.0), true);
            return intDivOrMod(b, loc, x, y, /*isMod=*/true);
          })
          .Case([&](PowOp) -> Value { return b.create<math::PowFOp>(loc, x, y); })
          .Case([&](MaxOp) -> Value {
            if (fl)
              return b.create<arith::MaximumFOp>(loc, x, y);
            return b.create<arith::MaxSIOp>(loc, x, y);
          })
          .Case([&](MinOp) -> Value {
            if (fl)
              return b.create<arith::MinimumFOp>(loc, x, y);
            return b.create<arith::MinSIOp>(loc, x, y);
          })
          .Default([&](Operation *) -> Value { return nullptr; });
  assert(r && "not an element-wise attn op");
  return castScalar(b, loc, r, resultType);
}

Value reductionIdentity(OpBuilder &b, Location loc, int kind, Type type) {
  auto k = static_cast<ReduceKind>(kind);
  if (isFloat(type)) {
    double inf = std::numeric_limits<double>::infinity();
    double v = k == ReduceKind::max ? -inf : k == ReduceKind::min ? inf : 0.0;
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, v));
  }
  int64_t v = k == ReduceKind::max   ? std::numeric_limits<int64_t>::min()
              : k == ReduceKind::min ? std::numeric_limits<int64_t>::max()
                                     : 0;
  if (type.isIndex())
    return b.create<arith::ConstantIndexOp>(loc, v);
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, v));
}

Value reductionCombine(OpBuilder &b, Location loc, int kind, Value acc, Value v) {
  auto k = static_cast<ReduceKind>(kind);
  bool fl = isFloat(acc.getType());
  switch (k) {
  case ReduceKind::sum:
  case ReduceKind::mean:
    return fl ? Value(b.create<arith::AddFOp>(loc, acc, v))
              : Value(b.create<arith::AddIOp>(loc, acc, v));
  case ReduceKind::max:
    return fl ? Value(b.create<arith::MaximumFOp>(loc, acc, v))
              : Value(b.create<arith::MaxSIOp>(loc, acc, v));
  case ReduceKind::min:
    return fl ? Value(b.create<arith::MinimumFOp>(loc, acc, v))
              : Value(b.create<arith::MinSIOp>(loc, acc, v));
  }
  llvm_unreachable("unknown reduction");
}

} // namespace attnc
