//===- IntervalFacts.cpp - What is known of a value over a tile -----------===//

#include "attnc/Dialect/Attn/IR/IntervalFacts.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

namespace attnc::attn {

namespace {

/// The index and i1 arithmetic facts are made of.
struct Arithmetic {
  OpBuilder &b;
  Location loc;
  Value add(Value x, Value y) { return b.create<arith::AddIOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubIOp>(loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return b.create<arith::CmpIOp>(loc, p, x, y);
  }
};

Value logicalNot(OpBuilder &b, Location loc, Value x) {
  return b.create<arith::XOrIOp>(loc, x, b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
}

/// Both operands as intervals, or false when either is not one.
bool bothIntervals(ArrayRef<IntervalFact> operands, IntervalFact &p, IntervalFact &q) {
  p = operands[0].asInterval();
  q = operands[1].asInterval();
  return p.kind == IntervalFact::Interval && q.kind == IntervalFact::Interval;
}

} // namespace

IntervalFact IntervalFact::exactly(Value v) { return {Exact, v}; }

IntervalFact IntervalFact::interval(Value lo, Value hi) { return {Interval, {}, lo, hi}; }

IntervalFact IntervalFact::boolean(Value mustTrue, Value mustFalse) {
  return {Bool, {}, {}, {}, mustTrue, mustFalse};
}

IntervalFact IntervalFact::asInterval() const {
  if (kind == Exact && exact.getType().isIndex())
    return interval(exact, exact);
  return kind == Interval ? *this : IntervalFact{};
}

IntervalFact IntervalFact::asBool(OpBuilder &b, Location loc) const {
  if (kind == Exact && exact.getType().isInteger(1))
    return boolean(exact, logicalNot(b, loc, exact));
  return kind == Bool ? *this : IntervalFact{};
}

namespace interval {

IntervalFact addOrSub(OpBuilder &builder, Location loc, bool subtract,
                      ArrayRef<IntervalFact> operands) {
  Arithmetic b{builder, loc};
  IntervalFact p, q;
  if (!bothIntervals(operands, p, q))
    return {};
  return !subtract ? IntervalFact::interval(b.add(p.lo, q.lo), b.add(p.hi, q.hi))
                   : IntervalFact::interval(b.sub(p.lo, q.hi), b.sub(p.hi, q.lo));
}

IntervalFact compare(OpBuilder &builder, Location loc, CmpPredicate predicate,
                     ArrayRef<IntervalFact> operands) {
  Arithmetic b{builder, loc};
  IntervalFact p, q;
  if (!bothIntervals(operands, p, q))
    return {};
  using P = arith::CmpIPredicate;
  auto boolean = IntervalFact::boolean;
  switch (predicate) {
  case CmpPredicate::lt: return boolean(b.cmp(P::slt, p.hi, q.lo), b.cmp(P::sge, p.lo, q.hi));
  case CmpPredicate::le: return boolean(b.cmp(P::sle, p.hi, q.lo), b.cmp(P::sgt, p.lo, q.hi));
  case CmpPredicate::gt: return boolean(b.cmp(P::sgt, p.lo, q.hi), b.cmp(P::sle, p.hi, q.lo));
  case CmpPredicate::ge: return boolean(b.cmp(P::sge, p.lo, q.hi), b.cmp(P::slt, p.hi, q.lo));
  case CmpPredicate::eq:
  case CmpPredicate::ne: {
    Value apart = builder.create<arith::OrIOp>(loc, b.cmp(P::slt, p.hi, q.lo),
                                               b.cmp(P::slt, q.hi, p.lo));
    Value same = builder.create<arith::AndIOp>(
        loc,
        builder.create<arith::AndIOp>(loc, b.cmp(P::eq, p.lo, p.hi), b.cmp(P::eq, q.lo, q.hi)),
        b.cmp(P::eq, p.lo, q.lo));
    return predicate == CmpPredicate::eq ? boolean(same, apart) : boolean(apart, same);
  }
  }
  return {};
}

IntervalFact logic(OpBuilder &b, Location loc, Logic op, ArrayRef<IntervalFact> operands) {
  if (op == Logic::Not) {
    IntervalFact p = operands[0].asBool(b, loc);
    return p.kind == IntervalFact::Bool ? IntervalFact::boolean(p.mustFalse, p.mustTrue)
                                        : IntervalFact{};
  }
  IntervalFact p = operands[0].asBool(b, loc), q = operands[1].asBool(b, loc);
  if (p.kind != IntervalFact::Bool || q.kind != IntervalFact::Bool)
    return {};
  auto andI = [&](Value x, Value y) { return b.create<arith::AndIOp>(loc, x, y).getResult(); };
  auto orI = [&](Value x, Value y) { return b.create<arith::OrIOp>(loc, x, y).getResult(); };
  return op == Logic::And
             ? IntervalFact::boolean(andI(p.mustTrue, q.mustTrue), orI(p.mustFalse, q.mustFalse))
             : IntervalFact::boolean(orI(p.mustTrue, q.mustTrue), andI(p.mustFalse, q.mustFalse));
}

} // namespace interval

} // namespace attnc::attn
