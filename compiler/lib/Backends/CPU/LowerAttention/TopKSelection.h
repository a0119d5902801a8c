//===- TopKSelection.h - topk: the K largest scores of each query -*- C++ -*-===//
#ifndef ATTNC_BACKENDS_CPU_LOWERATTENTION_TOPKSELECTION_H
#define ATTNC_BACKENDS_CPU_LOWERATTENTION_TOPKSELECTION_H

#include "../KernelBuilder.h"

#include <limits>

namespace attnc::lowering {

/// softmax(topk_mask(x, K)) for one block of queries, in two passes over the
/// keys. The first keeps each query's Kc = min(K, T) largest ranks in a
/// min-heap (the rank of x is x, NaN counting as +inf, as topk_mask orders
/// NaN above every number); its root is then the threshold, and `budget`
/// how many scores equal to it fit in the K. The second pass, the fused one,
/// keeps a score above the threshold, or equal to it while the budget lasts,
/// in key order: ties go to the lowest index, as in topk_mask. Both passes
/// see the same scores, computed by the same code.
class TopKSelection {
public:
  TopKSelection(LoopBuilder &h, Value k, Value t, int64_t blockQ) : h(h), blockQ(blockQ) {
    OpBuilder &b = h.b;
    // Kc = clamp(K, 0, T); with K >= T the selection is skipped (all kept).
    Value kc = h.min(b.create<arith::MaxSIOp>(h.loc, k, h.idx(0)), t);
    selecting = h.cmp(arith::CmpIPredicate::slt, kc, t);
    size = b.create<arith::SelectOp>(h.loc, selecting, kc, h.idx(0));
    // At least one column, so that the root can always be read.
    columns = b.create<arith::MaxSIOp>(h.loc, size, h.idx(1));
    heap = b.create<memref::AllocOp>(
        h.loc, MemRefType::get({blockQ, ShapedType::kDynamic}, b.getF32Type()), columns);
    auto scratch = [&](Type type) {
      return b.create<memref::AllocaOp>(h.loc, MemRefType::get({blockQ}, type)).getResult();
    };
    threshold = scratch(b.getF32Type());
    budget = scratch(b.getIndexType());
    seen = scratch(b.getIndexType());
    total = t;
  }

  /// Runs `pass` (which calls insert() for every score) when K < T, then
  /// sets the thresholds.
  void select(function_ref<void()> pass) {
    OpBuilder &b = h.b;
    Value posInf = h.f32(inf());
    h.ifElse(
        selecting,
        [&] {
          // Kc = 0 keeps nothing: a root of +inf takes no score, and is a
          // threshold that no rank exceeds, with no budget.
          Value empty = h.cmp(arith::CmpIPredicate::eq, size, h.idx(0));
          Value start = b.create<arith::SelectOp>(h.loc, empty, posInf, h.f32(-inf()));
          eachQuery([&](Value q) {
            h.loop(h.idx(0), columns, 1, [&](Value p) { h.store(start, heap, {q, p}); });
          });
          pass();
          eachQuery([&](Value q) {
            Value theta = h.load(heap, {q, h.idx(0)});
            auto above = b.create<scf::ForOp>(
                h.loc, h.idx(0), size, h.idx(1), ValueRange{h.idx(0)},
                [&](OpBuilder &lb, Location ll, Value p, ValueRange acc) {
                  Value x = lb.create<memref::LoadOp>(ll, heap, ValueRange{q, p});
                  Value gt = lb.create<arith::CmpFOp>(ll, arith::CmpFPredicate::OGT, x, theta);
                  Value one = lb.create<arith::SelectOp>(
                      ll, gt, lb.create<arith::ConstantIndexOp>(ll, 1),
                      lb.create<arith::ConstantIndexOp>(ll, 0));
                  lb.create<scf::YieldOp>(ll, ValueRange{lb.create<arith::AddIOp>(ll, acc[0], one)});
                });
            setQuery(q, theta, h.sub(size, above.getResult(0)));
          });
        },
        [&] {
          // K >= T: every score is kept, -inf ones included.
          eachQuery([&](Value q) { setQuery(q, h.f32(-inf()), total); });
        });
  }

  /// The first pass: offers score `s` of query `q` to its heap.
  void insert(Value q, Value s) {
    OpBuilder &b = h.b;
    Location loc = h.loc;
    Value r = rank(s);
    Value better = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, r,
                                           h.load(heap, {q, h.idx(0)}));
    auto ifBetter = b.create<scf::IfOp>(loc, better, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&ifBetter.getThenRegion().front());
    // Replace the root and sift r down: while a child is smaller than r,
    // move the smaller child up.
    Value last = h.sub(size, h.idx(1));
    Type index = b.getIndexType(), f32 = b.getF32Type();
    auto loop = b.create<scf::WhileOp>(loc, TypeRange{index, index, f32},
                                       ValueRange{h.idx(0), h.idx(0), r});
    Block *before = b.createBlock(&loop.getBefore(), {}, {index, index, f32}, {loc, loc, loc});
    Value p = before->getArgument(0);
    Value left = h.add(h.mul(p, h.idx(2)), h.idx(1));
    Value right = h.add(left, h.idx(1));
    Value hasLeft = h.cmp(arith::CmpIPredicate::slt, left, size);
    Value hasRight = h.cmp(arith::CmpIPredicate::slt, right, size);
    Value l = h.min(left, last), rt = h.min(right, last);
    Value lv = h.load(heap, {q, l}), rv = h.load(heap, {q, rt});
    Value takeRight = b.create<arith::AndIOp>(
        loc, hasRight, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, rv, lv));
    Value child = b.create<arith::SelectOp>(loc, takeRight, rt, l);
    Value cv = b.create<arith::SelectOp>(loc, takeRight, rv, lv);
    Value down = b.create<arith::AndIOp>(
        loc, hasLeft, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, cv, r));
    b.create<scf::ConditionOp>(loc, down, ValueRange{p, child, cv});
    Block *after = b.createBlock(&loop.getAfter(), {}, {index, index, f32}, {loc, loc, loc});
    h.store(after->getArgument(2), heap, {q, after->getArgument(0)});
    b.create<scf::YieldOp>(loc, ValueRange{after->getArgument(1), after->getArgument(1), r});
    b.setInsertionPointAfter(loop);
    h.store(r, heap, {q, loop.getResult(0)});
  }

  /// The fused pass: `s` if it is among its query's K largest, else -inf.
  /// `counts` says whether a tie may use the budget (a real key).
  Value keep(Value q, Value s, Value counts) {
    OpBuilder &b = h.b;
    Location loc = h.loc;
    Value r = rank(s), theta = h.load(threshold, q), used = h.load(seen, q);
    Value tie = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, r, theta);
    Value above = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, r, theta);
    Value fits = h.cmp(arith::CmpIPredicate::slt, used, h.load(budget, q));
    Value tieKept = b.create<arith::AndIOp>(loc, b.create<arith::AndIOp>(loc, tie, fits), counts);
    Value kept = b.create<arith::OrIOp>(loc, above, tieKept);
    h.store(b.create<arith::SelectOp>(loc, tieKept, h.add(used, h.idx(1)), used), seen, q);
    return b.create<arith::SelectOp>(loc, kept, s, h.f32(-inf()));
  }

private:
  LoopBuilder &h;
  int64_t blockQ;
  Value selecting, size, columns, heap, threshold, budget, seen, total;

  static double inf() { return std::numeric_limits<double>::infinity(); }

  Value rank(Value s) {
    Value nan = h.b.create<arith::CmpFOp>(h.loc, arith::CmpFPredicate::UNO, s, s);
    return h.b.create<arith::SelectOp>(h.loc, nan, h.f32(inf()), s);
  }
  void eachQuery(function_ref<void(Value)> body) { h.loop(h.idx(0), h.idx(blockQ), 1, body); }
  void setQuery(Value q, Value theta, Value fit) {
    h.store(theta, threshold, q);
    h.store(fit, budget, q);
    h.store(h.idx(0), seen, q);
  }
};

} // namespace attnc::lowering

#endif
