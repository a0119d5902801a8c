//===- LowerAttention.cpp - attn.attention as an online-softmax loop nest -===//
//
// One task per (batch index, block of block_q queries), in an scf.parallel
// that later runs on the runtime's thread pool. For its queries a task keeps, in stack buffers,
//   m[q]     the running maximum of the scores,
//   l[q]     the running sum of exp(score - m),
//   Ot[d][q] the running weighted sum of values (transposed),
// and walks the keys in blocks of block_k:
//   1. St[k][q] = score(q, k): by a register-tiled inner product of the keys
//      with the block's queries when the score contains q . k (the "dot"
//      form), then the rest of the score region element by element; else
//      the whole score region element by element;
//   2. masking: the mask region, unless an interval test of the region over
//      the tile (decided from the tile's index bounds) shows it all true
//      (skipped) or all false (the whole key block is skipped);
//   3. the online-softmax update: new max, rescale factor exp(m - m_new),
//      St <- exp(St - m_new), l <- l * alpha + sum;
//   4. Ot[d][q] = Ot[d][q] * alpha[q] + sum_k V[k][d] * St[k][q], again by a
//      register-tiled inner product.
// Finally out[q][d] = Ot[d][q] / l[q] (0 for a fully masked row). The tiles
// are vectorised over queries, so any head dim works (1, 3, 17, 100, ...).
//
//===----------------------------------------------------------------------===//

#include "AttentionLowering.h"

#include "attnc/Conversion/Passes.h"
#include "attnc/Dialect/Attn/IR/Attn.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace attnc;
using namespace attnc::attn;

namespace {

//===----------------------------------------------------------------------===//
// Recognising the fast forms of the regions
//===----------------------------------------------------------------------===//

/// A read `t[lead..., row, col]` whose leading indices depend only on the
/// batch arguments: the operand of a register-tiled inner product.
struct TiledOperand {
  ReadOp read;
  Value tensor;
  SmallVector<Value> lead;   // in the region, to be cloned per task
  /// The axes whose lead index is not known to be in bounds (k[.., h / G, ..]):
  /// a read outside the tensor yields 0, which a tile load does not do, so
  /// a task takes the tiles only after checking them.
  SmallVector<int64_t> checkedAxes;
};

/// The score's `sum(d: q[.., i, d] * k[.., j, d])`, if it has one.
struct DotForm {
  IndexReduceOp reduce;
  TiledOperand q, k;
};

bool dependsOnlyOn(Value v, ArrayRef<BlockArgument> allowed, Region &region) {
  SmallVector<Value> work = {v};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value x = work.pop_back_val();
    if (!seen.insert(x).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(x)) {
      if (region.isAncestor(arg.getParentRegion()) && !llvm::is_contained(allowed, arg))
        return false;
      continue;
    }
    Operation *def = x.getDefiningOp();
    if (!region.isAncestor(def->getParentRegion()))
      continue;  // defined outside: uniform
    if (def->getNumRegions() || !isMemoryEffectFree(def))
      return false;
    for (Value o : def->getOperands())
      work.push_back(o);
  }
  return true;
}

std::optional<TiledOperand> tiledRead(Value v, BlockArgument row, BlockArgument col,
                                      ArrayRef<BlockArgument> batch, Region &region) {
  auto read = v.getDefiningOp<ReadOp>();
  if (!read || !cast<RankedTensorType>(read.getTensor().getType()).getElementType().isF32())
    return std::nullopt;
  auto idx = read.getIndices();
  if (idx.size() < 2 || idx[idx.size() - 2] != row || idx.back() != col)
    return std::nullopt;
  TiledOperand t{read, read.getTensor(), {}, {}};
  ArrayRef<int64_t> shape = cast<RankedTensorType>(read.getTensor().getType()).getShape();
  for (auto [axis, lead] : llvm::enumerate(idx.drop_back(2))) {
    if (!dependsOnlyOn(lead, batch, region))
      return std::nullopt;
    // In bounds for sure: a batch index used plainly (the checker gave it
    // this axis' extent) or a constant below a static extent.
    auto arg = dyn_cast<BlockArgument>(lead);
    std::optional<int64_t> constant = getConstantIntValue(lead);
    bool inBounds = (arg && llvm::is_contained(batch, arg)) ||
                    (constant && *constant >= 0 && !ShapedType::isDynamic(shape[axis]) &&
                     *constant < shape[axis]);
    if (!inBounds)
      t.checkedAxes.push_back(axis);
    t.lead.push_back(lead);
  }
  return t;
}

std::optional<DotForm> findDotForm(AttentionOp op) {
  Region &region = op.getScore();
  Block &block = region.front();
  unsigned nb = op.getNumBatchDims();
  SmallVector<BlockArgument> batch(block.getArguments().take_front(nb));
  BlockArgument i = block.getArgument(nb), j = block.getArgument(nb + 1);
  std::optional<DotForm> found;
  for (Operation &o : block.without_terminator()) {
    auto reduce = dyn_cast<IndexReduceOp>(o);
    if (!reduce || reduce.getKind() != ReduceKind::sum || reduce.getExtents().size() != 1)
      continue;
    Block &rb = reduce.getBody().front();
    auto mul = dyn_cast_or_null<MulOp>(cast<YieldOp>(rb.getTerminator()).getValue().getDefiningOp());
    if (!mul)
      continue;
    BlockArgument d = rb.getArgument(0);
    auto tryOrder = [&](Value a, Value b) -> std::optional<DotForm> {
      auto q = tiledRead(a, i, d, batch, region);
      auto k = tiledRead(b, j, d, batch, region);
      if (!q || !k)
        return std::nullopt;
      return DotForm{reduce, *q, *k};
    };
    auto form = tryOrder(mul.getLhs(), mul.getRhs());
    if (!form)
      form = tryOrder(mul.getRhs(), mul.getLhs());
    // The body must be the two reads and the product, and the index
    // arithmetic of their leading indices (h / G).
    auto isIndexArithmetic = [&](Operation &o) {
      return &o == form->q.read || &o == form->k.read || &o == mul || &o == rb.getTerminator() ||
             (o.getNumResults() == 1 && dependsOnlyOn(o.getResult(0), batch, region));
    };
    if (form && llvm::all_of(rb, isIndexArithmetic) && !found)
      found = form;
    else if (form)
      return std::nullopt;  // two inner products: keep the general form
  }
  return found;
}

std::optional<TiledOperand> findValueForm(AttentionOp op) {
  Region &region = op.getValue();
  Block &block = region.front();
  unsigned nb = op.getNumBatchDims();
  SmallVector<BlockArgument> batch(block.getArguments().take_front(nb));
  // value(batch, j, d) = v[lead(batch), j, d]: rows j, columns d.
  return tiledRead(cast<YieldOp>(block.getTerminator()).getValue(), block.getArgument(nb),
                   block.getArgument(nb + 1), batch, region);
}

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

struct Builder2 {
  OpBuilder &b;
  Location loc;
  Value idx(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value f32(double v) {
    return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(static_cast<float>(v)));
  }
  Value add(Value x, Value y) { return b.create<arith::AddIOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubIOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulIOp>(loc, x, y); }
  Value min(Value x, Value y) { return b.create<arith::MinSIOp>(loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) { return b.create<arith::CmpIOp>(loc, p, x, y); }
  Value ceilDiv(Value x, Value y) { return b.create<arith::CeilDivSIOp>(loc, x, y); }
  Value load(Value m, ValueRange i) { return b.create<memref::LoadOp>(loc, m, i); }
  void store(Value v, Value m, ValueRange i) { b.create<memref::StoreOp>(loc, v, m, i); }

  /// if (cond) thenBody() else elseBody(), both emitted through `b`.
  void ifElse(Value cond, function_ref<void()> thenBody, function_ref<void()> elseBody) {
    auto branch = [&](function_ref<void()> body) {
      return [&, body](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        body();
        b.create<scf::YieldOp>(loc);
      };
    };
    b.create<scf::IfOp>(loc, cond, branch(thenBody), branch(elseBody));
  }

  /// for (iv = lb; iv < ub; iv += step) body(iv)
  void loop(Value lb, Value ub, int64_t step, function_ref<void(Value)> body) {
    b.create<scf::ForOp>(loc, lb, ub, idx(step), std::nullopt,
                         [&](OpBuilder &nb, Location, Value iv, ValueRange) {
                           OpBuilder::InsertionGuard g(b);
                           b.setInsertionPoint(nb.getInsertionBlock(),
                                               nb.getInsertionPoint());
                           body(iv);
                           b.create<scf::YieldOp>(loc);
                         });
  }
};

/// exp(x) for x <= 0 or NaN, as the online softmax needs it (x = score -
/// running max): 2^n * 2^f with t = x log2(e), n = round(t) and f = t - n in
/// [-1/2, 1/2], 2^f by a degree-5 polynomial (relative error below 3e-7, and
/// exactly 1 at 0, so that a single key weighs exactly 1) and
/// 2^n built in the exponent bits. t is first raised to -127, where 2^n is
/// exactly 0: exp(-inf), and anything below 2^-126, is 0 with no denormals.
/// About 17 vector operations against math.exp's 23, which must also handle
/// overflow: the softmax spends most of its time here.
Value expNonPositive(Builder2 &h, Value x) {
  OpBuilder &b = h.b;
  Location loc = h.loc;
  Value t = b.create<arith::MulFOp>(loc, x, h.f32(1.4426950408889634));  // log2(e)
  Value floor = h.f32(-127.0);
  Value below = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ULT, t, floor);
  t = b.create<arith::SelectOp>(loc, below, floor, t);  // NaN too: restored below
  Value n = b.create<math::RoundEvenOp>(loc, t);
  Value f = b.create<arith::SubFOp>(loc, t, n);
  // Minimax coefficients of 2^f on [-1/2, 1/2], highest first.
  const float coefficients[] = {1.32765e-3f, 9.67554e-3f, 5.550713e-2f,
                                2.402212e-1f, 6.9314694e-1f, 1.0f};
  Value poly = h.f32(coefficients[0]);
  for (float c : ArrayRef<float>(coefficients).drop_front())
    poly = b.create<math::FmaOp>(loc, poly, f, h.f32(c));
  Type i32 = b.getI32Type();
  Value bits = b.create<arith::ShLIOp>(
      loc,
      b.create<arith::AddIOp>(loc, b.create<arith::FPToSIOp>(loc, i32, n),
                              b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(127))),
      b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(23)));
  Value scaled = b.create<arith::MulFOp>(loc, poly, b.create<arith::BitcastOp>(loc, b.getF32Type(), bits));
  Value nan = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
  return b.create<arith::SelectOp>(loc, nan, x, scaled);
}

/// Clones the ops of `block` (but those of `skip`) under `map` and returns
/// the yielded value.
Value cloneRegion(OpBuilder &b, Block &block, IRMapping &map, Operation *skip = nullptr) {
  for (Operation &o : block.without_terminator())
    if (&o != skip)
      b.clone(o, map);
  return map.lookupOrDefault(cast<YieldOp>(block.getTerminator()).getValue());
}

/// Clones the computation of a value that depends only on mapped block
/// arguments and values from outside the region.
Value cloneSlice(OpBuilder &b, Value v, IRMapping &map, Region &region) {
  if (Value m = map.lookupOrNull(v))
    return m;
  Operation *def = v.getDefiningOp();
  if (!def || !region.isAncestor(def->getParentRegion()))
    return v;
  for (Value o : def->getOperands())
    cloneSlice(b, o, map, region);
  b.clone(*def, map);
  return map.lookup(v);
}

/// A register-tiled product C[r][c] = init + sum_k A(r, k) * B[k][c] for
/// r < rows, c < width (a multiple of 2 * vw), k < depth: tiles of tileRows
/// x (2 vectors), accumulators in registers over the whole k loop.
struct TileProduct {
  Value c, bMat;                 // memref<?xWxf32>, memref<?xWxf32>
  int64_t width, vw, tileRows;
  Value rows, depth;
  function_ref<Value(OpBuilder &, Value r, Value k)> a;   // scalar A(r, k)
  /// The accumulator's start for (r, column vector at c): zero or C * alpha.
  function_ref<Value(OpBuilder &, Value r, Value c)> init;

  void emit(Builder2 &h) {
    Value full = h.mul(h.b.create<arith::DivUIOp>(h.loc, rows, h.idx(tileRows)), h.idx(tileRows));
    emitRows(h, h.idx(0), full, tileRows);
    emitRows(h, full, rows, 1);
  }

  void emitRows(Builder2 &h, Value lb, Value ub, int64_t tr) {
    OpBuilder &b = h.b;
    Location loc = h.loc;
    auto vt = VectorType::get({vw}, b.getF32Type());
    h.loop(lb, ub, tr, [&](Value r0) {
      h.loop(h.idx(0), h.idx(width), 2 * vw, [&](Value c0) {
        Value c1 = h.add(c0, h.idx(vw));
        SmallVector<Value> accs;
        for (int64_t r = 0; r < tr; ++r) {
          Value row = h.add(r0, h.idx(r));
          accs.push_back(init(b, row, c0));
          accs.push_back(init(b, row, c1));
        }
        auto kLoop = b.create<scf::ForOp>(
            loc, h.idx(0), depth, h.idx(1), accs,
            [&](OpBuilder &nb, Location nl, Value k, ValueRange acc) {
              Value b0 = nb.create<vector::LoadOp>(nl, vt, bMat, ValueRange{k, c0});
              Value b1 = nb.create<vector::LoadOp>(nl, vt, bMat, ValueRange{k, c1});
              SmallVector<Value> next;
              for (int64_t r = 0; r < tr; ++r) {
                Value row = nb.create<arith::AddIOp>(nl, r0, nb.create<arith::ConstantIndexOp>(nl, r));
                Value av = nb.create<vector::BroadcastOp>(nl, vt, a(nb, row, k));
                next.push_back(nb.create<vector::FMAOp>(nl, av, b0, acc[2 * r]));
                next.push_back(nb.create<vector::FMAOp>(nl, av, b1, acc[2 * r + 1]));
              }
              nb.create<scf::YieldOp>(nl, next);
            });
        for (int64_t r = 0; r < tr; ++r) {
          Value row = h.add(r0, h.idx(r));
          b.create<vector::StoreOp>(loc, kLoop.getResult(2 * r), c, ValueRange{row, c0});
          b.create<vector::StoreOp>(loc, kLoop.getResult(2 * r + 1), c, ValueRange{row, c1});
        }
      });
    });
  }
};

/// Turns `score / u`, u the same for every score (a scale such as sqrt(D)),
/// into `score * (1 / u)` with the reciprocal computed once before the op: a
/// division per score costs as much as a dozen multiplications. The result
/// differs from the division by at most one rounding.
void hoistUniformDivisors(AttentionOp op, PatternRewriter &rewriter) {
  Region &region = op.getScore();
  Type f32 = rewriter.getF32Type();
  for (Operation &o : llvm::make_early_inc_range(region.front().without_terminator())) {
    auto div = dyn_cast<DivOp>(o);
    if (!div || div.getType() != f32 || div.getRhs().getType() != f32 ||
        !dependsOnlyOn(div.getRhs(), {}, region))
      continue;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(op);
    IRMapping outside;
    Value divisor = cloneSlice(rewriter, div.getRhs(), outside, region);
    Value one = rewriter.create<arith::ConstantOp>(div.getLoc(), rewriter.getF32FloatAttr(1.0f));
    Value reciprocal = rewriter.create<arith::DivFOp>(div.getLoc(), one, divisor);
    rewriter.setInsertionPoint(div);
    rewriter.replaceOpWithNewOp<MulOp>(div, f32, div.getLhs(), reciprocal);
  }
}

//===----------------------------------------------------------------------===//
// Mask intervals: is the mask all true / all false over a tile?
//===----------------------------------------------------------------------===//

/// What is known of a mask-region value over a tile: an exact value
/// (depends only on the batch), an index interval, or a boolean that must
/// be true / must be false.
struct Fact {
  enum Kind { Unknown, Exact, Interval, Bool } kind = Unknown;
  Value exact, lo, hi, mustTrue, mustFalse;
};

class MaskIntervals {
public:
  MaskIntervals(Builder2 &h, Block &block, IRMapping &batchMap, unsigned nb, Value iLo, Value iHi,
                Value jLo, Value jHi)
      : h(h), block(block), map(batchMap) {
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
  Builder2 &h;
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
      Value t = f.exact;
      Value one = h.b.create<arith::ConstantOp>(h.loc, h.b.getBoolAttr(true));
      return boolean(t, h.b.create<arith::XOrIOp>(h.loc, t, one));
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
    Builder2 &b = h;
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

//===----------------------------------------------------------------------===//
// topk: the K largest scores of each query, without a row of scores
//===----------------------------------------------------------------------===//

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
  TopKSelection(Builder2 &h, Value k, Value t, int64_t blockQ) : h(h), blockQ(blockQ) {
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
  Builder2 &h;
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

//===----------------------------------------------------------------------===//
// The pattern
//===----------------------------------------------------------------------===//

struct LowerAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    hoistUniformDivisors(op, rewriter);
    Builder2 h{rewriter, loc};
    OpBuilder &b = rewriter;
    unsigned nb = op.getNumBatchDims();
    auto extents = op.getExtents();
    Value S = extents[nb], T = extents[nb + 1], D = extents[nb + 2];
    DictionaryAttr sched = op.getScheduleAttr();
    auto get = [&](StringRef key, int64_t dflt) {
      if (sched)
        if (auto v = sched.getAs<IntegerAttr>(key))
          return v.getInt();
      return dflt;
    };
    const int64_t BQ = get("block_q", 64), BK = get("block_k", 64), VW = get("vector_width", 16),
                  TR = get("tile_rows", 8);
    Type f32 = b.getF32Type();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    std::optional<DotForm> dotForm = findDotForm(op);
    std::optional<TiledOperand> valueTiles = findValueForm(op);

    // The output buffer, written in place by the tasks: the model's output
    // itself when the result only goes there (the runtime guarantees that
    // outputs do not overlap the inputs), else a new one.
    auto destination = dyn_cast_or_null<bufferization::MaterializeInDestinationOp>(
        op->hasOneUse() ? *op->user_begin() : nullptr);
    if (destination && !isa<MemRefType>(destination.getDest().getType()))
      destination = nullptr;
    Value out;
    if (destination) {
      out = destination.getDest();
    } else {
      SmallVector<Value> dynamic;
      SmallVector<Value> outExtents(extents.take_front(nb));
      outExtents.append({S, D});
      for (int64_t a = 0; a < resultType.getRank(); ++a)
        if (resultType.isDynamicDim(a))
          dynamic.push_back(outExtents[a]);
      auto outType = MemRefType::get(resultType.getShape(), f32);
      out = b.create<memref::AllocOp>(loc, outType, dynamic, b.getI64IntegerAttr(64));
    }

    // Tensors read by the tiled products, as buffers.
    auto asMemref = [&](Value t) -> Value {
      auto tt = cast<RankedTensorType>(t.getType());
      return b.create<bufferization::ToMemrefOp>(loc, MemRefType::get(tt.getShape(), tt.getElementType()), t);
    };
    // The inner products' depth, when it does not depend on the batch.
    Value depth;
    if (dotForm) {
      IRMapping none;
      if (dependsOnlyOn(dotForm->reduce.getExtents()[0], {}, op.getScore()))
        depth = cloneSlice(b, dotForm->reduce.getExtents()[0], none, op.getScore());
      else
        dotForm.reset();
    }
    Value qBuf = dotForm ? asMemref(dotForm->q.tensor) : Value();
    Value kBuf = dotForm ? asMemref(dotForm->k.tensor) : Value();
    Value vBuf = valueTiles ? asMemref(valueTiles->tensor) : Value();

    Value numQBlocks = h.ceilDiv(S, h.idx(BQ));
    Value numTasks = numQBlocks;
    for (Value e : extents.take_front(nb))
      numTasks = h.mul(numTasks, e);

    auto taskBody = [&](Value task) {
      // task -> (batch indices, query block)
      Value qb = b.create<arith::RemUIOp>(loc, task, numQBlocks);
      Value rest = b.create<arith::DivUIOp>(loc, task, numQBlocks);
      SmallVector<Value> batch(nb);
      for (int64_t a = static_cast<int64_t>(nb) - 1; a >= 0; --a) {
        batch[a] = b.create<arith::RemUIOp>(loc, rest, extents[a]);
        rest = b.create<arith::DivUIOp>(loc, rest, extents[a]);
      }
      Value i0 = h.mul(qb, h.idx(BQ));
      Value qCount = h.min(h.idx(BQ), h.sub(S, i0));
      Value sLast = h.sub(S, h.idx(1)), tLast = h.sub(T, h.idx(1));

      auto scratch = [&](ArrayRef<int64_t> shape, ValueRange dyn = {}) {
        return b.create<memref::AllocaOp>(loc, MemRefType::get(shape, f32), dyn,
                                          b.getI64IntegerAttr(64)).getResult();
      };
      Value m = scratch({BQ}), l = scratch({BQ}), alpha = scratch({BQ}), mNew = scratch({BQ}),
            rowSum = scratch({BQ});
      Value st = scratch({BK, BQ});
      Value ot = scratch({ShapedType::kDynamic, BQ}, D);
      Value qt = dotForm ? scratch({ShapedType::kDynamic, BQ}, depth) : Value();
      Value ninf = h.f32(-std::numeric_limits<double>::infinity()), zero = h.f32(0.0);

      // Each region sees the task's batch indices.
      auto batchMap = [&](Region &r) {
        IRMapping map;
        for (unsigned a = 0; a < nb; ++a)
          map.map(r.front().getArgument(a), batch[a]);
        return map;
      };
      IRMapping scoreBatch = batchMap(op.getScore());
      IRMapping valueBatch = batchMap(op.getValue());

      // The tiled operands' leading indices for this task, and whether the
      // ones not known to be in bounds are.
      Value tilesInBounds = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
      auto leadsOf = [&](const TiledOperand &t, Value buffer, IRMapping &map, Region &region) {
        SmallVector<Value> lead;
        for (Value v : t.lead)
          lead.push_back(cloneSlice(b, v, map, region));
        for (int64_t axis : t.checkedAxes) {
          Value extent = b.create<memref::DimOp>(loc, buffer, axis);
          Value inside = b.create<arith::AndIOp>(
              loc, h.cmp(arith::CmpIPredicate::sge, lead[axis], h.idx(0)),
              h.cmp(arith::CmpIPredicate::slt, lead[axis], extent));
          tilesInBounds = b.create<arith::AndIOp>(loc, tilesInBounds, inside);
        }
        return lead;
      };
      SmallVector<Value> qLead, kLead, vLead;
      if (dotForm) {
        qLead = leadsOf(dotForm->q, qBuf, scoreBatch, op.getScore());
        kLead = leadsOf(dotForm->k, kBuf, scoreBatch, op.getScore());
      }
      if (valueTiles)
        vLead = leadsOf(*valueTiles, vBuf, valueBatch, op.getValue());
      bool checked = (dotForm && (!dotForm->q.checkedAxes.empty() ||
                                  !dotForm->k.checkedAxes.empty())) ||
                     (valueTiles && !valueTiles->checkedAxes.empty());

      // The task with the tiled products (`tiles`), or with every region
      // evaluated element by element, whose reads check their bounds.
      auto compute = [&](bool tiles) {
        std::optional<DotForm> dot = tiles ? dotForm : std::nullopt;
        std::optional<TiledOperand> valueForm = tiles ? valueTiles : std::nullopt;
        h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) {
          h.store(ninf, m, q);
          h.store(zero, l, q);
        });
        h.loop(h.idx(0), D, 1, [&](Value d) {
          h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) { h.store(zero, ot, {d, q}); });
        });

        // The dot form: pack this block's queries transposed, once. Queries
        // innermost, so that the stores are contiguous: vectorised, the loads
        // become gathers, which cost less than scatters.
        if (dot) {
          h.loop(h.idx(0), depth, 1, [&](Value d) {
            h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) {
              SmallVector<Value> idx(qLead);
              idx.append({h.min(h.add(i0, q), sLast), d});
              h.store(h.load(qBuf, idx), qt, {d, q});
            });
          });
        }

        // The key blocks the mask leaves alive: an interval test of the mask
        // region over each tile skips the fully masked ones.
        Value numKBlocks = h.ceilDiv(T, h.idx(BK));
        auto forEachLiveKeyBlock = [&](function_ref<void(Value j0, Value kCount, Value allTrue)> body) {
          h.loop(h.idx(0), numKBlocks, 1, [&](Value kb) {
            Value j0 = h.mul(kb, h.idx(BK));
            Value kCount = h.min(h.idx(BK), h.sub(T, j0));
            IRMapping maskBatch = batchMap(op.getMask());
            MaskIntervals intervals(h, op.getMask().front(), maskBatch, nb, i0,
                                    h.sub(h.add(i0, qCount), h.idx(1)), j0,
                                    h.sub(h.add(j0, kCount), h.idx(1)));
            auto [allTrue, allFalse] = intervals.evaluate();
            auto live = b.create<scf::IfOp>(loc, allFalse, /*withElseRegion=*/true);
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(&live.getElseRegion().front());
            body(j0, kCount, allTrue);
          });
        };

        // The scores of one key block: St[k][q] from the register-tiled inner
        // product (dot form), then the rest of the score region, the mask and
        // -inf past the last key, element by element, each handed to
        // `element(jj, qq, score, jj < kCount)`. The mask test is hoisted: a
        // tile known all unmasked gets a loop without it.
        Block &scoreBlock = op.getScore().front();
        Block &maskBlock = op.getMask().front();
        using ElementFn = function_ref<void(Value jj, Value qq, Value s, Value inRange)>;
        auto scoreTile = [&](Value j0, Value kCount, Value allTrue, ElementFn element) {
          if (dot) {
            // Keys past the last are clamped to it; their scores become -inf below.
            auto keyElement = [&](OpBuilder &nb2, Value r, Value k) -> Value {
              Value row = nb2.create<arith::MinSIOp>(loc, nb2.create<arith::AddIOp>(loc, j0, r), tLast);
              SmallVector<Value> idx(kLead);
              idx.append({row, k});
              return nb2.create<memref::LoadOp>(loc, kBuf, idx);
            };
            auto zeroInit = [&](OpBuilder &nb2, Value, Value) -> Value {
              return nb2.create<arith::ConstantOp>(
                  loc, DenseElementsAttr::get(VectorType::get({VW}, f32), 0.0f));
            };
            TileProduct{st, qt, BQ, VW, TR, h.idx(BK), depth, keyElement, zeroInit}.emit(h);
          }
          auto scores = [&](bool masked) {
            h.loop(h.idx(0), h.idx(BK), 1, [&](Value jj) {
              Value j = h.add(j0, jj);
              Value inRange = h.cmp(arith::CmpIPredicate::ult, jj, kCount);
              Value jc = h.min(j, tLast);
              h.loop(h.idx(0), h.idx(BQ), 1, [&](Value qq) {
                Value i = h.min(h.add(i0, qq), sLast);
                IRMapping map = scoreBatch;
                map.map(scoreBlock.getArgument(nb), i);
                map.map(scoreBlock.getArgument(nb + 1), jc);
                Operation *skip = nullptr;
                if (dot) {
                  map.map(dot->reduce.getResult(), h.load(st, {jj, qq}));
                  skip = dot->reduce;
                }
                Value s = cloneRegion(b, scoreBlock, map, skip);
                if (masked) {
                  IRMapping mm = batchMap(op.getMask());
                  mm.map(maskBlock.getArgument(nb), i);
                  mm.map(maskBlock.getArgument(nb + 1), jc);
                  Value keep = cloneRegion(b, maskBlock, mm);
                  s = b.create<arith::SelectOp>(loc, keep, s, ninf);
                }
                element(jj, qq, b.create<arith::SelectOp>(loc, inRange, s, ninf), inRange);
              });
            });
          };
          h.ifElse(allTrue, [&] { scores(/*masked=*/false); }, [&] { scores(/*masked=*/true); });
        };

        // topk(K): a first pass over the keys finds each query's threshold.
        std::optional<TopKSelection> topk;
        if (op.getTopk()) {
          topk.emplace(h, op.getTopk(), T, BQ);
          topk->select([&] {
            forEachLiveKeyBlock([&](Value j0, Value kCount, Value allTrue) {
              scoreTile(j0, kCount, allTrue,
                        [&](Value, Value qq, Value s, Value) { topk->insert(qq, s); });
            });
          });
        }

        forEachLiveKeyBlock([&](Value j0, Value kCount, Value allTrue) {
          Value jValid = kCount;
          // 1-2. Scores, masked (and cut to the top K), and the new running
          // maximum on the way.
          h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) {
            h.store(h.load(m, q), mNew, q);
            h.store(zero, rowSum, q);
          });
          scoreTile(j0, kCount, allTrue, [&](Value jj, Value qq, Value s, Value inRange) {
            if (topk)
              s = topk->keep(qq, s, inRange);
            h.store(s, st, {jj, qq});
            h.store(b.create<arith::MaximumFOp>(loc, h.load(mNew, qq), s), mNew, qq);
          });

          // 3. Online softmax over the block.
          h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) {
            Value mo = h.load(m, q), mn = h.load(mNew, q);
            Value fresh = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mo, ninf);
            Value scale = expNonPositive(h, b.create<arith::SubFOp>(loc, mo, mn));
            h.store(b.create<arith::SelectOp>(loc, fresh, zero, scale), alpha, q);
          });
          h.loop(h.idx(0), h.idx(BK), 1, [&](Value jj) {
            h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) {
              Value mn = h.load(mNew, q);
              Value none = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mn, ninf);
              Value p = expNonPositive(h, b.create<arith::SubFOp>(loc, h.load(st, {jj, q}), mn));
              p = b.create<arith::SelectOp>(loc, none, zero, p);
              h.store(p, st, {jj, q});
              h.store(b.create<arith::AddFOp>(loc, h.load(rowSum, q), p), rowSum, q);
            });
          });
          h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) {
            Value lv = b.create<arith::MulFOp>(loc, h.load(l, q), h.load(alpha, q));
            h.store(b.create<arith::AddFOp>(loc, lv, h.load(rowSum, q)), l, q);
            h.store(h.load(mNew, q), m, q);
          });

          // 4. Ot = Ot * alpha + V^T . P^T over the block's valid keys.
          Block &valueBlock = op.getValue().front();
          auto valueElement = [&](OpBuilder &nb2, Value r, Value k) -> Value {
            Value j = nb2.create<arith::AddIOp>(loc, j0, k);
            if (valueForm) {
              SmallVector<Value> idx(vLead);
              idx.append({j, r});
              return nb2.create<memref::LoadOp>(loc, vBuf, idx);
            }
            IRMapping map = valueBatch;
            map.map(valueBlock.getArgument(nb), j);
            map.map(valueBlock.getArgument(nb + 1), r);
            return cloneRegion(nb2, valueBlock, map);
          };
          auto rescaled = [&](OpBuilder &nb2, Value r, Value c) -> Value {
            auto vt = VectorType::get({VW}, f32);
            Value acc = nb2.create<vector::LoadOp>(loc, vt, ot, ValueRange{r, c});
            Value sc = nb2.create<vector::LoadOp>(loc, vt, alpha, ValueRange{c});
            return nb2.create<arith::MulFOp>(loc, acc, sc);
          };
          TileProduct{ot, st, BQ, VW, TR, D, jValid, valueElement, rescaled}.emit(h);
        });

        // Normalise and write this block's rows.
        h.loop(h.idx(0), qCount, 1, [&](Value q) {
          Value lv = h.load(l, q);
          Value empty = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, lv, zero);
          Value inv = b.create<arith::DivFOp>(loc, h.f32(1.0), lv);
          inv = b.create<arith::SelectOp>(loc, empty, zero, inv);
          h.loop(h.idx(0), D, 1, [&](Value d) {
            SmallVector<Value> idx(batch);
            idx.append({h.add(i0, q), d});
            h.store(b.create<arith::MulFOp>(loc, h.load(ot, {d, q}), inv), out, idx);
          });
        });
      };

      if (!checked) {
        compute(/*tiles=*/true);
        return;
      }
      h.ifElse(tilesInBounds, [&] { compute(/*tiles=*/true); }, [&] { compute(/*tiles=*/false); });
    };

    // Each task allocates its stack buffers at the start of its body with
    // sizes known before the loop, so attnc-parallel-loops-to-runtime can
    // hoist them to once per chunk.
    auto body = [&](Value task) { taskBody(task); };

    // The tasks are independent; attnc-parallel-loops-to-runtime runs them
    // on the runtime's thread pool.
    auto tasks = b.create<scf::ParallelOp>(loc, ValueRange{h.idx(0)}, ValueRange{numTasks},
                                           ValueRange{h.idx(1)},
                                           [&](OpBuilder &pb, Location, ValueRange ivs) {
                                             OpBuilder::InsertionGuard g(b);
                                             b.setInsertionPoint(pb.getInsertionBlock(),
                                                                 pb.getInsertionPoint());
                                             body(ivs[0]);
                                           });
    // threads(n) in the schedule: at most n threads run the tasks.
    if (int64_t threads = get("threads", 0); threads > 0)
      tasks->setAttr(kMaxThreadsAttr, b.getI64IntegerAttr(threads));
    if (destination) {
      rewriter.eraseOp(destination);
      rewriter.eraseOp(op);
      return success();
    }
    Value result = b.create<bufferization::ToTensorOp>(loc, resultType, out, /*restrict=*/true,
                                                      /*writable=*/true);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void attnc::populateAttentionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAttention>(patterns.getContext());
}
