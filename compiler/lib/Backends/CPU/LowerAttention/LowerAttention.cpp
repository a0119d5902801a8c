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
//   3. the online-softmax update, in explicit vectors of queries: new max,
//      rescale factor exp(m - m_new), St <- exp(St - m_new),
//      l <- l * alpha + sum (NaN for a row whose maximum is NaN or +inf);
//   4. Ot[d][q] = Ot[d][q] * alpha[q] + sum_k V[k][d] * St[k][q], again by a
//      register-tiled inner product.
// Finally out[q][d] = Ot[d][q] / l[q] (0 for a fully masked row), written
// straight into the model's output when the result goes only there. The
// tiles are vectorised over queries, so any head dim works (1, 3, 17, 100).
//
// With topk(K) a first pass over the same key blocks selects each query's K
// best scores (TopKSelection.h); step 2 then keeps only those. A tiled
// operand whose head index is computed (k[.., h / G, ..]) is bounds-checked
// per task, which otherwise falls back to element-by-element regions.
// The building blocks are in KernelBuilder.h, the tile test in
// MaskIntervals.h.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"
#include "MaskIntervals.h"
#include "TopKSelection.h"

#include "../Passes.h"
#include "attnc/Dialect/Attn/IR/Attn.h"
#include "attnc/Dialect/Attn/IR/ScheduleRules.h"

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

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace attnc {
#define GEN_PASS_DEF_LOWERATTENTION
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;
using namespace attnc::attn;
using namespace attnc::lowering;

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
// The pattern
//===----------------------------------------------------------------------===//

struct LowerAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    hoistUniformDivisors(op, rewriter);
    LoopBuilder h{rewriter, loc};
    OpBuilder &b = rewriter;
    unsigned nb = op.getNumBatchDims();
    auto extents = op.getExtents();
    Value S = extents[nb], T = extents[nb + 1], D = extents[nb + 2];
    // Without a schedule (attnc-opt input), the lowering's defaults.
    ScheduleAttr sched = op.getScheduleAttr();
    if (!sched)
      sched = ScheduleAttr::get(op.getContext(), std::nullopt, std::nullopt, std::nullopt,
                                std::nullopt, std::nullopt);
    const int64_t BQ = sched.getBlockQOrDefault(), BK = sched.getBlockKOrDefault(),
                  VW = sched.getVectorWidthOrDefault(), TR = sched.getTileRowsOrDefault();
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
      Value m = scratch({BQ}), l = scratch({BQ}), alpha = scratch({BQ}), mNew = scratch({BQ});
      Value st = scratch({BK, BQ});
      // Per group of 2 vectors of queries, the keys [keyLo, keyHi) of the
      // block with a nonzero weight.
      auto groupType = MemRefType::get({BQ / (2 * VW)}, b.getIndexType());
      Value keyLo = b.create<memref::AllocaOp>(loc, groupType);
      Value keyHi = b.create<memref::AllocaOp>(loc, groupType);
      Value ot = scratch({ShapedType::kDynamic, BQ}, D);
      Value qt = dotForm ? scratch({ShapedType::kDynamic, BQ}, depth) : Value();
      const double inf = std::numeric_limits<double>::infinity();
      Value ninf = h.f32(-inf), zero = h.f32(0.0);

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

        // [lo, hi) such that every weight St[k][c0 .. c0 + 2 VW) is 0 for
        // k < lo and for hi <= k < kCount; NaN counts as nonzero.
        auto nonzeroKeys = [&](Value c0, Value kCount) -> std::pair<Value, Value> {
          auto zeroRow = [&](Value jj) -> Value {
            auto nonzero = [&](Value c) {
              return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE,
                                             h.vload(VW, st, {jj, c}),
                                             h.f32Like(0.0, VectorType::get({VW}, f32)));
            };
            Value any = b.create<arith::OrIOp>(loc, nonzero(c0), nonzero(h.add(c0, h.idx(VW))));
            return h.logicalNot(b.create<vector::ReductionOp>(loc, vector::CombiningKind::OR, any));
          };
          // while (cond(k) && zeroRow(row(k))) k = step(k), for k from start.
          auto skipZeros = [&](Value start, function_ref<Value(Value)> cond,
                               function_ref<Value(Value)> row, int64_t step) -> Value {
            auto scan = b.create<scf::WhileOp>(
                loc, TypeRange{b.getIndexType()}, ValueRange{start},
                [&](OpBuilder &nb, Location, ValueRange k) {
                  OpBuilder::InsertionGuard g(b);
                  b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
                  Value go = b.create<arith::AndIOp>(loc, cond(k[0]), zeroRow(row(k[0])));
                  b.create<scf::ConditionOp>(loc, go, k);
                },
                [&](OpBuilder &nb, Location, ValueRange k) {
                  OpBuilder::InsertionGuard g(b);
                  b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
                  b.create<scf::YieldOp>(loc, ValueRange{h.add(k[0], h.idx(step))});
                });
            return scan.getResult(0);
          };
          using P = arith::CmpIPredicate;
          // The row read while testing k is clamped into the tile; the
          // bound test decides.
          Value hi = skipZeros(
              kCount, [&](Value k) { return h.cmp(P::sgt, k, h.idx(0)); },
              [&](Value k) { return b.create<arith::MaxSIOp>(loc, h.sub(k, h.idx(1)), h.idx(0)); },
              -1);
          Value lo = skipZeros(
              h.idx(0), [&](Value k) { return h.cmp(P::slt, k, hi); },
              [&](Value k) { return h.min(k, h.idx(BK - 1)); }, 1);
          return {lo, hi};
        };

        // (all true, all false) of the mask over queries [iLo, iHi] and keys
        // [jLo, jHi]: an interval evaluation of the mask region.
        auto maskOver = [&](Value iLo, Value iHi, Value jLo, Value jHi) {
          IRMapping maskBatch = batchMap(op.getMask());
          return MaskIntervals(h, op.getMask().front(), maskBatch, nb, iLo, iHi, jLo, jHi)
              .evaluate();
        };
        auto last = [&](Value first, Value count) { return h.sub(h.add(first, count), h.idx(1)); };

        // The key blocks the mask leaves alive: the mask test over each block
        // skips the fully masked ones.
        Value numKBlocks = h.ceilDiv(T, h.idx(BK));
        auto forEachLiveKeyBlock = [&](function_ref<void(Value j0, Value kCount, Value allTrue)> body) {
          h.loop(h.idx(0), numKBlocks, 1, [&](Value kb) {
            Value j0 = h.mul(kb, h.idx(BK));
            Value kCount = h.min(h.idx(BK), h.sub(T, j0));
            auto [allTrue, allFalse] = maskOver(i0, last(i0, qCount), j0, last(j0, kCount));
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
        // tile known all unmasked gets a loop without it. In a block the mask
        // cuts through (a causal diagonal), the product skips the register
        // tiles it masks entirely: their scores become -inf whatever St holds.
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
            auto tileLive = [&](OpBuilder &, Value r0, int64_t rows, Value c0) -> Value {
              auto test = b.create<scf::IfOp>(loc, b.getI1Type(), allTrue, /*withElseRegion=*/true);
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPointToStart(test.thenBlock());
              b.create<scf::YieldOp>(loc, allTrue);
              b.setInsertionPointToStart(test.elseBlock());
              Value iLo = h.add(i0, c0), jLo = h.add(j0, r0);
              Value allFalse =
                  maskOver(iLo, last(iLo, h.idx(2 * VW)), jLo, last(jLo, h.idx(rows))).second;
              b.create<scf::YieldOp>(loc, h.logicalNot(allFalse));
              return test.getResult(0);
            };
            TileProduct{st, qt, BQ, VW, TR, h.idx(BK), depth, keyElement, zeroInit, tileLive}.emit(h);
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
          h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) { h.store(h.load(m, q), mNew, q); });
          scoreTile(j0, kCount, allTrue, [&](Value jj, Value qq, Value s, Value inRange) {
            if (topk)
              s = topk->keep(qq, s, inRange);
            h.store(s, st, {jj, qq});
            h.store(b.create<arith::MaximumFOp>(loc, h.load(mNew, qq), s), mNew, qq);
          });

          // 3. Online softmax over the block, two vectors of queries at a time
          // (their running state stays in registers over the keys, and the
          // two exp chains interleave, which hides the polynomial's latency).
          const int64_t SW = 2 * VW;
          auto vt = VectorType::get({SW}, f32);
          Value zeroV = h.f32Like(0.0, vt), ninfV = h.f32Like(-inf, vt);
          h.loop(h.idx(0), h.idx(BQ), SW, [&](Value q) {
            Value mo = h.vload(SW, m, q), mn = h.vload(SW, mNew, q);
            // alpha = exp(m_old - m_new): 0 for a row that had no live score.
            Value fresh = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mo, ninfV);
            Value scale = expNonPositive(h, b.create<arith::SubFOp>(loc, mo, mn));
            Value alphaV = b.create<arith::SelectOp>(loc, fresh, zeroV, scale);
            h.vstore(alphaV, alpha, q);
            // A row with no live score yet has only -inf scores: it subtracts
            // 0 rather than -inf, so that every weight is exp(-inf) = 0.
            Value none = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mn, ninfV);
            Value shift = b.create<arith::SelectOp>(loc, none, zeroV, mn);
            auto keys = b.create<scf::ForOp>(
                loc, h.idx(0), h.idx(BK), h.idx(1), ValueRange{zeroV},
                [&](OpBuilder &nb, Location, Value jj, ValueRange sum) {
                  OpBuilder::InsertionGuard g(b);
                  b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
                  Value p = expNonPositive(
                      h, b.create<arith::SubFOp>(loc, h.vload(SW, st, {jj, q}), shift));
                  h.vstore(p, st, {jj, q});
                  b.create<scf::YieldOp>(loc, ValueRange{b.create<arith::AddFOp>(loc, sum[0], p)});
                });
            // l = l * alpha + sum. A NaN or +inf maximum makes the row NaN,
            // as in the reference, where exp(score - max) is then NaN.
            Value lNew = b.create<arith::AddFOp>(
                loc, b.create<arith::MulFOp>(loc, h.vload(SW, l, q), alphaV), keys.getResult(0));
            Value poisoned = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UGE, mn,
                                                     h.f32Like(inf, vt));
            lNew = b.create<arith::SelectOp>(
                loc, poisoned, h.f32Like(std::numeric_limits<double>::quiet_NaN(), vt), lNew);
            h.vstore(lNew, l, q);
            h.vstore(mn, m, q);
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
          // In a block the mask cuts through, each group of 2 vectors of
          // queries multiplies only its keys from the first to the last
          // with a nonzero weight: masked keys weigh exactly 0.
          h.ifElse(
              allTrue,
              [&] {
                h.loop(h.idx(0), h.idx(BQ / (2 * VW)), 1, [&](Value g) {
                  h.store(h.idx(0), keyLo, g);
                  h.store(kCount, keyHi, g);
                });
              },
              [&] {
                h.loop(h.idx(0), h.idx(BQ), 2 * VW, [&](Value c0) {
                  auto [lo, hi] = nonzeroKeys(c0, kCount);
                  Value g = b.create<arith::DivUIOp>(loc, c0, h.idx(2 * VW));
                  h.store(lo, keyLo, g);
                  h.store(hi, keyHi, g);
                });
              });
          auto keyRange = [&](OpBuilder &, Value c0) -> std::pair<Value, Value> {
            Value g = b.create<arith::DivUIOp>(loc, c0, h.idx(2 * VW));
            return {h.load(keyLo, g), h.load(keyHi, g)};
          };
          TileProduct{ot, st, BQ, VW, TR, D, jValid, valueElement, rescaled, nullptr, keyRange}
              .emit(h);
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
    if (std::optional<int64_t> threads = sched.getThreads())
      tasks->setAttr(kMaxThreadsAttr, b.getI64IntegerAttr(*threads));
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

struct LowerAttentionPass : attnc::impl::LowerAttentionBase<LowerAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerAttention>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
