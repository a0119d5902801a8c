//===- MaskIntervals.cpp - Is a mask all true or all false over a tile? ---===//
//
// The mask's values over a tile are tracked as facts: exact (the same for
// the whole tile), an index interval, or booleans that say whether a
// condition must be true or must be false. Index additions, subtractions
// and comparisons and the logical ops have interval rules; anything
// computed from exact values alone is cloned; the rest is unknown.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/Analysis/MaskIntervals.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace attnc::attn {

namespace {

/// What is known of a mask-region value over a tile: an exact value
/// (depends only on the batch), an index interval, or a boolean that must
/// be true / must be false.
struct Fact {
  enum Kind { Unknown, Exact, Interval, Bool } kind = Unknown;
  Value exact, lo, hi, mustTrue, mustFalse;
};

class MaskIntervals {
public:
  MaskIntervals(OpBuilder &b, Location loc, Block &block, IRMapping &batchMap, unsigned nb,
                Value iLo, Value iHi, Value jLo, Value jHi)
      : h{b, loc}, block(block), map(batchMap) {
    for (unsigned a = 0; a < nb; ++a)
      facts[block.getArgument(a)] = exact(map.lookup(block.getArgument(a)));
    facts[block.getArgument(nb)] = interval(iLo, iHi);
    facts[block.getArgument(nb + 1)] = interval(jLo, jHi);
  }

  /// (all true, all false) of the yielded mask over the tile.
  std::pair<Value, Value> evaluate() {
    for (Operation &o : block.without_terminator())
      visit(o);
    Fact f = asBool(factOf(cast<YieldOp>(block.getTerminator()).getValue()));
    Value no = h.b.create<arith::ConstantOp>(h.loc, h.b.getBoolAttr(false));
    if (f.kind != Fact::Bool)
      return {no, no};
    return {f.mustTrue, f.mustFalse};
  }

private:
  /// The index and i1 arithmetic the test is made of.
  struct Arithmetic {
    OpBuilder &b;
    Location loc;
    Value add(Value x, Value y) { return b.create<arith::AddIOp>(loc, x, y); }
    Value sub(Value x, Value y) { return b.create<arith::SubIOp>(loc, x, y); }
    Value cmp(arith::CmpIPredicate p, Value x, Value y) {
      return b.create<arith::CmpIOp>(loc, p, x, y);
    }
    Value logicalNot(Value x) {
      return b.create<arith::XOrIOp>(loc, x, b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
    }
  } h;
  Block &block;
  IRMapping &map;
  DenseMap<Value, Fact> facts;

  static Fact exact(Value v) { Fact f; f.kind = Fact::Exact; f.exact = v; return f; }
  static Fact interval(Value lo, Value hi) {
    Fact f; f.kind = Fact::Interval; f.lo = lo; f.hi = hi; return f;
  }
  Fact boolean(Value t, Value fl) { Fact f; f.kind = Fact::Bool; f.mustTrue = t; f.mustFalse = fl; return f; }

  bool definedOutside(Value v) {
    return !block.getParent()->isAncestor(v.getParentRegion());
  }
  /// Values from outside the region are the same over the whole tile.
  Fact factOf(Value v) { return definedOutside(v) ? exact(v) : facts.lookup(v); }

  Fact asInterval(Fact f) {
    if (f.kind == Fact::Exact && f.exact.getType().isIndex())
      return interval(f.exact, f.exact);
    return f.kind == Fact::Interval ? f : Fact{};
  }
  Fact asBool(Fact f) {
    if (f.kind == Fact::Exact && f.exact.getType().isInteger(1)) {
      return boolean(f.exact, h.logicalNot(f.exact));
    }
    return f.kind == Fact::Bool ? f : Fact{};
  }

  void visit(Operation &o) {
    if (o.getNumResults() != 1)
      return;
    Value r = o.getResult(0);
    // Anything computed from exact values alone is exact: clone it.
    bool allExact = o.getNumRegions() == 0 && isMemoryEffectFree(&o);
    for (Value v : o.getOperands()) {
      Fact f = factOf(v);
      allExact &= f.kind == Fact::Exact;
      if (f.kind == Fact::Exact)
        map.map(v, f.exact);
    }
    if (allExact) {
      Operation *c = h.b.clone(o, map);
      facts[r] = exact(c->getResult(0));
      return;
    }
    Arithmetic &b = h;
    auto x = [&](unsigned i) { return factOf(o.getOperand(i)); };
    if (isa<AddOp, SubOp>(o) && r.getType().isIndex()) {
      Fact p = asInterval(x(0)), q = asInterval(x(1));
      if (p.kind == Fact::Interval && q.kind == Fact::Interval)
        facts[r] = isa<AddOp>(o) ? interval(b.add(p.lo, q.lo), b.add(p.hi, q.hi))
                                 : interval(b.sub(p.lo, q.hi), b.sub(p.hi, q.lo));
      return;
    }
    if (auto cmp = dyn_cast<CmpOp>(o)) {
      Fact p = asInterval(x(0)), q = asInterval(x(1));
      if (p.kind != Fact::Interval || q.kind != Fact::Interval)
        return;
      using P = arith::CmpIPredicate;
      switch (cmp.getPredicate()) {
      case CmpPredicate::lt: facts[r] = boolean(b.cmp(P::slt, p.hi, q.lo), b.cmp(P::sge, p.lo, q.hi)); break;
      case CmpPredicate::le: facts[r] = boolean(b.cmp(P::sle, p.hi, q.lo), b.cmp(P::sgt, p.lo, q.hi)); break;
      case CmpPredicate::gt: facts[r] = boolean(b.cmp(P::sgt, p.lo, q.hi), b.cmp(P::sle, p.hi, q.lo)); break;
      case CmpPredicate::ge: facts[r] = boolean(b.cmp(P::sge, p.lo, q.hi), b.cmp(P::slt, p.hi, q.lo)); break;
      case CmpPredicate::eq:
      case CmpPredicate::ne: {
        Value apart = h.b.create<arith::OrIOp>(h.loc, b.cmp(P::slt, p.hi, q.lo), b.cmp(P::slt, q.hi, p.lo));
        Value same = h.b.create<arith::AndIOp>(
            h.loc, h.b.create<arith::AndIOp>(h.loc, b.cmp(P::eq, p.lo, p.hi), b.cmp(P::eq, q.lo, q.hi)),
            b.cmp(P::eq, p.lo, q.lo));
        facts[r] = cmp.getPredicate() == CmpPredicate::eq ? boolean(same, apart) : boolean(apart, same);
        break;
      }
      }
      return;
    }
    if (isa<AndOp, OrOp>(o)) {
      Fact p = asBool(x(0)), q = asBool(x(1));
      if (p.kind != Fact::Bool || q.kind != Fact::Bool)
        return;
      auto andI = [&](Value a, Value c) { return h.b.create<arith::AndIOp>(h.loc, a, c).getResult(); };
      auto orI = [&](Value a, Value c) { return h.b.create<arith::OrIOp>(h.loc, a, c).getResult(); };
      facts[r] = isa<AndOp>(o) ? boolean(andI(p.mustTrue, q.mustTrue), orI(p.mustFalse, q.mustFalse))
                               : boolean(orI(p.mustTrue, q.mustTrue), andI(p.mustFalse, q.mustFalse));
      return;
    }
    if (isa<NotOp>(o)) {
      Fact p = asBool(x(0));
      if (p.kind == Fact::Bool)
        facts[r] = boolean(p.mustFalse, p.mustTrue);
    }
  }
};

} // namespace

std::pair<Value, Value> emitMaskIntervalTest(OpBuilder &b, Location loc, Block &mask,
                                             IRMapping &batch, unsigned numBatch, Value iLo,
                                             Value iHi, Value jLo, Value jHi) {
  return MaskIntervals(b, loc, mask, batch, numBatch, iLo, iHi, jLo, jHi).evaluate();
}

} // namespace attnc::attn
