//===- MaskIntervals.cpp - Is a mask all true or all false over a tile? ---===//
//
// The mask's values over a tile are tracked as facts (IntervalFacts.h):
// exact (the same for the whole tile), an index interval, or booleans that
// say whether a condition must be true or must be false. Element-wise ops
// give their interval rules (ElementwiseOpInterface::evaluateInterval:
// index additions, subtractions and comparisons, the logical ops); anything
// computed from exact values alone is cloned; the rest is unknown.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/Analysis/MaskIntervals.h"

#include "attnc/Dialect/Attn/IR/Attn.h"
#include "attnc/Dialect/Attn/IR/IntervalFacts.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace attnc::attn {

namespace {

class MaskIntervals {
public:
  MaskIntervals(OpBuilder &b, Location loc, Block &block, IRMapping &batchMap, unsigned nb,
                Value iLo, Value iHi, Value jLo, Value jHi)
      : b(b), loc(loc), block(block), map(batchMap) {
    for (unsigned a = 0; a < nb; ++a)
      facts[block.getArgument(a)] = IntervalFact::exactly(map.lookup(block.getArgument(a)));
    facts[block.getArgument(nb)] = IntervalFact::interval(iLo, iHi);
    facts[block.getArgument(nb + 1)] = IntervalFact::interval(jLo, jHi);
  }

  /// (all true, all false) of the yielded mask over the tile.
  std::pair<Value, Value> evaluate() {
    for (Operation &o : block.without_terminator())
      visit(o);
    IntervalFact f = factOf(cast<YieldOp>(block.getTerminator()).getValue()).asBool(b, loc);
    Value no = b.create<arith::ConstantOp>(loc, b.getBoolAttr(false));
    if (f.kind != IntervalFact::Bool)
      return {no, no};
    return {f.mustTrue, f.mustFalse};
  }

private:
  OpBuilder &b;
  Location loc;
  Block &block;
  IRMapping &map;
  DenseMap<Value, IntervalFact> facts;

  bool definedOutside(Value v) { return !block.getParent()->isAncestor(v.getParentRegion()); }
  /// Values from outside the region are the same over the whole tile.
  IntervalFact factOf(Value v) {
    return definedOutside(v) ? IntervalFact::exactly(v) : facts.lookup(v);
  }

  /// Anything computed from exact values alone is exact: it is cloned.
  /// Element-wise ops with an interval rule apply it; the rest is unknown.
  void visit(Operation &o) {
    if (o.getNumResults() != 1)
      return;
    Value r = o.getResult(0);
    bool allExact = o.getNumRegions() == 0 && isMemoryEffectFree(&o);
    SmallVector<IntervalFact> operands;
    for (Value v : o.getOperands()) {
      IntervalFact f = factOf(v);
      allExact &= f.kind == IntervalFact::Exact;
      if (f.kind == IntervalFact::Exact)
        map.map(v, f.exact);
      operands.push_back(f);
    }
    if (allExact) {
      Operation *c = b.clone(o, map);
      facts[r] = IntervalFact::exactly(c->getResult(0));
      return;
    }
    if (auto elementwise = dyn_cast<ElementwiseOpInterface>(o)) {
      IntervalFact f = elementwise.evaluateInterval(b, loc, operands);
      if (f.kind != IntervalFact::Unknown)
        facts[r] = f;
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
