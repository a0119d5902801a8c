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
// A task of at most kDecodeQueries queries (a decode step, or the last block
// of queries) would leave most of those lanes idle: when both products are
// tiled it takes its queries one at a time instead, vectorised over the
// depth and the head dim (emitDecode).
//
// With `unnormalized` the score region yields the weights themselves: a
// masked key, or one past the last, weighs 0 instead of scoring -inf, step
// 3 is skipped (alpha stays 1) and the output is Ot itself.
//
// With topk(K) a first pass over the same key blocks selects each query's K
// best scores (TopKSelection.h); step 2 then keeps only those. A tiled
// operand whose head index is computed (k[.., h / G, ..]) is bounds-checked
// per task, which otherwise falls back to element-by-element regions.
// The building blocks are in KernelBuilder.h; the dot and value forms and
// the tile test of the mask come from the dialect's target-neutral analyses
// (attnc/Dialect/Attn/Analysis/AttentionForms.h, MaskIntervals.h).
// AttentionKernel builds the nest in parts, one method per step above.
//
//===----------------------------------------------------------------------===//

#include "../KernelBuilder.h"
#include "TopKSelection.h"

#include "../Passes.h"
#include "attnc/Dialect/Attn/Analysis/AttentionForms.h"
#include "attnc/Dialect/Attn/Analysis/MaskIntervals.h"
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

/// The most queries a task takes one at a time (see emitDecode): below
/// this, the tiled path's lanes of padding queries cost more than the decode
/// path's reduction per key.
constexpr int64_t kDecodeQueries = 4;

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
// The loop nest
//===----------------------------------------------------------------------===//

/// Builds the loop nest of one attn.attention, part by part. The shape of
/// the work is target-neutral (tasks of one batch entry's block of queries;
/// per task, a walk over the key blocks the mask leaves alive, carrying the
/// running maximum, running sum and accumulator of the online softmax); the
/// CPU's mechanics are in how each part is built (stack buffers, register
/// tiles vectorised over queries, an scf.parallel for the runtime's pool).
class AttentionKernel {
public:
  AttentionKernel(AttentionOp op, PatternRewriter &rewriter)
      : op(op), rewriter(rewriter), b(rewriter), h{rewriter, op.getLoc()}, loc(op.getLoc()),
        nb(op.getNumBatchDims()), extents(op.getExtents()) {}

  LogicalResult build();

private:
  using ElementFn = function_ref<void(Value jj, Value qq, Value s, Value inRange)>;
  using KeyBlockFn = function_ref<void(Value j0, Value kCount, Value allTrue)>;

  void prepareOutput();
  void prepareOperands();
  void emitTask(Value task);
  SmallVector<Value> leadsOf(const TiledOperand &t, Value buffer, IRMapping &map, Region &region);
  void emitCompute(bool tiles);
  void emitTiledOrDecode();
  void emitDecode();
  void decodeScores(Value i, Value j0, Value kCount, bool masked);
  void decodeSoftmax(Value kCount);
  void decodeValues(Value j0, Value kCount);
  Value depthDot(Value i, Value j);
  std::pair<Value, Value> nonzeroKeys(Value c0, Value kCount);
  std::pair<Value, Value> maskOver(Value iLo, Value iHi, Value jLo, Value jHi);
  Value last(Value first, Value count) { return h.sub(h.add(first, count), h.idx(1)); }
  /// The key block rounded up to whole vectors (the decode path's weights).
  int64_t paddedBK() const { return (BK + VW - 1) / VW * VW; }
  IRMapping batchMap(Region &r);
  void forEachLiveKeyBlock(Value iFirst, Value iCount, KeyBlockFn body);
  void scoreTile(Value j0, Value kCount, Value allTrue, ElementFn element);
  void scoreElements(Value j0, Value kCount, bool masked, ElementFn element);
  void onlineSoftmax();
  std::pair<Value, Value> rescaleAndShift(Value mOld, Value mNewV);
  Value runningSum(Value lOld, Value alphaV, Value blockSum, Value mNewV);
  Value reciprocalOrZero(Value lv);
  void accumulateValues(Value j0, Value kCount, Value allTrue);
  void normalize();

  // The op, its schedule and its operands.
  AttentionOp op;
  PatternRewriter &rewriter;
  OpBuilder &b;
  LoopBuilder h;
  Location loc;
  unsigned nb;
  OperandRange extents;
  Value S, T, D;
  ScheduleAttr sched;
  int64_t BQ = 0, BK = 0, VW = 0, TR = 0;
  Type f32;
  RankedTensorType resultType;
  std::optional<DotForm> dotForm;
  std::optional<TiledOperand> valueTiles;
  bufferization::MaterializeInDestinationOp destination;
  Value out, depth, qBuf, kBuf, vBuf, numQBlocks;

  // One task: its batch indices and queries [i0, i0 + qCount), its stack
  // buffers, and the leading indices of its tiled operands.
  SmallVector<Value> batch;
  Value i0, qCount, sLast, tLast;
  Value m, l, alpha, mNew, st, keyLo, keyHi, ot, qt, ninf, zero;
  // What a masked key or one past the last gives: a score of -inf, or with
  // unnormalized weights, a weight of 0.
  bool unnormalized = false;
  Value fill;
  // The decode path's buffers: one query's weights over a key block, padded
  // to whole vectors, and its running weighted sum of values.
  Value pk, od;
  IRMapping scoreBatch, valueBatch;
  Value tilesInBounds;
  SmallVector<Value> qLead, kLead, vLead;

  // The forms the task's computation uses (none when it checks bounds).
  std::optional<DotForm> dot;
  std::optional<TiledOperand> valueForm;
  Value numKBlocks;
};

LogicalResult AttentionKernel::build() {
  hoistUniformDivisors(op, rewriter);
  S = extents[nb];
  T = extents[nb + 1];
  D = extents[nb + 2];
  // Without a schedule (attnc-opt input), the lowering's defaults.
  sched = op.getScheduleAttr();
  if (!sched)
    sched = ScheduleAttr::get(op.getContext(), std::nullopt, std::nullopt, std::nullopt,
                              std::nullopt, std::nullopt);
  BQ = sched.getBlockQOrDefault();
  BK = sched.getBlockKOrDefault();
  VW = sched.getVectorWidthOrDefault();
  TR = sched.getTileRowsOrDefault();
  f32 = b.getF32Type();
  resultType = cast<RankedTensorType>(op.getResult().getType());
  dotForm = findDotForm(op);
  valueTiles = findValueForm(op);
  prepareOutput();
  prepareOperands();

  numQBlocks = h.ceilDiv(S, h.idx(BQ));
  Value numTasks = numQBlocks;
  for (Value e : extents.take_front(nb))
    numTasks = h.mul(numTasks, e);
  // The tasks are independent; attnc-parallel-loops-to-runtime runs them on
  // the runtime's thread pool. Each allocates its stack buffers at the start
  // of its body with sizes known before the loop, so that pass can hoist
  // them to once per chunk.
  auto tasks = b.create<scf::ParallelOp>(loc, ValueRange{h.idx(0)}, ValueRange{numTasks},
                                         ValueRange{h.idx(1)},
                                         [&](OpBuilder &pb, Location, ValueRange ivs) {
                                           OpBuilder::InsertionGuard g(b);
                                           b.setInsertionPoint(pb.getInsertionBlock(),
                                                               pb.getInsertionPoint());
                                           emitTask(ivs[0]);
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

/// The output buffer, written in place by the tasks.
void AttentionKernel::prepareOutput() {
  SmallVector<Value> outExtents(extents.take_front(nb));
  outExtents.append({S, D});
  ResultBuffer result = resultBuffer(h, op.getResult(), outExtents);
  out = result.buffer;
  destination = result.destination;
}

/// The tensors read by the tiled products, as buffers, and the inner
/// products' depth (the dot form only when it does not depend on the batch).
void AttentionKernel::prepareOperands() {
  auto asMemref = [&](Value t) -> Value {
    auto tt = cast<RankedTensorType>(t.getType());
    return b.create<bufferization::ToMemrefOp>(
        loc, MemRefType::get(tt.getShape(), tt.getElementType()), t);
  };
  if (dotForm) {
    IRMapping none;
    if (dependsOnlyOn(dotForm->reduce.getExtents()[0], {}, op.getScore()))
      depth = cloneSlice(b, dotForm->reduce.getExtents()[0], none, op.getScore());
    else
      dotForm.reset();
  }
  qBuf = dotForm ? asMemref(dotForm->q.tensor) : Value();
  kBuf = dotForm ? asMemref(dotForm->k.tensor) : Value();
  vBuf = valueTiles ? asMemref(valueTiles->tensor) : Value();
}

/// Each region sees the task's batch indices.
IRMapping AttentionKernel::batchMap(Region &r) {
  IRMapping map;
  for (unsigned a = 0; a < nb; ++a)
    map.map(r.front().getArgument(a), batch[a]);
  return map;
}

/// A tiled operand's leading indices for this task; the ones not known to be
/// in bounds are checked into `tilesInBounds`.
SmallVector<Value> AttentionKernel::leadsOf(const TiledOperand &t, Value buffer, IRMapping &map,
                                            Region &region) {
  SmallVector<Value> lead;
  for (Value v : t.lead)
    lead.push_back(cloneSlice(b, v, map, region));
  for (int64_t axis : t.checkedAxes) {
    Value extent = b.create<memref::DimOp>(loc, buffer, axis);
    Value inside =
        b.create<arith::AndIOp>(loc, h.cmp(arith::CmpIPredicate::sge, lead[axis], h.idx(0)),
                                h.cmp(arith::CmpIPredicate::slt, lead[axis], extent));
    tilesInBounds = b.create<arith::AndIOp>(loc, tilesInBounds, inside);
  }
  return lead;
}

/// One task: (batch indices, query block) from its number, its state, then
/// the computation, with the tiled products, or (when a tiled operand's
/// leading index may be out of bounds) element by element as a fallback.
void AttentionKernel::emitTask(Value task) {
  Value qb = b.create<arith::RemUIOp>(loc, task, numQBlocks);
  Value rest = b.create<arith::DivUIOp>(loc, task, numQBlocks);
  batch.assign(nb, Value());
  for (int64_t a = static_cast<int64_t>(nb) - 1; a >= 0; --a) {
    batch[a] = b.create<arith::RemUIOp>(loc, rest, extents[a]);
    rest = b.create<arith::DivUIOp>(loc, rest, extents[a]);
  }
  i0 = h.mul(qb, h.idx(BQ));
  qCount = h.min(h.idx(BQ), h.sub(S, i0));
  sLast = h.sub(S, h.idx(1));
  tLast = h.sub(T, h.idx(1));

  auto scratch = [&](ArrayRef<int64_t> shape, ValueRange dyn = {}) {
    return b.create<memref::AllocaOp>(loc, MemRefType::get(shape, f32), dyn,
                                      b.getI64IntegerAttr(64)).getResult();
  };
  m = scratch({BQ});
  l = scratch({BQ});
  alpha = scratch({BQ});
  mNew = scratch({BQ});
  st = scratch({BK, BQ});
  // Per group of 2 vectors of queries, the keys [keyLo, keyHi) of the
  // block with a nonzero weight.
  auto groupType = MemRefType::get({BQ / (2 * VW)}, b.getIndexType());
  keyLo = b.create<memref::AllocaOp>(loc, groupType);
  keyHi = b.create<memref::AllocaOp>(loc, groupType);
  ot = scratch({ShapedType::kDynamic, BQ}, D);
  pk = scratch({paddedBK()});
  od = scratch({ShapedType::kDynamic}, D);
  qt = dotForm ? scratch({ShapedType::kDynamic, BQ}, depth) : Value();
  ninf = h.f32(-std::numeric_limits<double>::infinity());
  zero = h.f32(0.0);
  unnormalized = op.getUnnormalized();
  fill = unnormalized ? zero : ninf;
  numKBlocks = h.ceilDiv(T, h.idx(BK));

  scoreBatch = batchMap(op.getScore());
  valueBatch = batchMap(op.getValue());
  tilesInBounds = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
  qLead.clear();
  kLead.clear();
  vLead.clear();
  if (dotForm) {
    qLead = leadsOf(dotForm->q, qBuf, scoreBatch, op.getScore());
    kLead = leadsOf(dotForm->k, kBuf, scoreBatch, op.getScore());
  }
  if (valueTiles)
    vLead = leadsOf(*valueTiles, vBuf, valueBatch, op.getValue());
  bool checked =
      (dotForm && (!dotForm->q.checkedAxes.empty() || !dotForm->k.checkedAxes.empty())) ||
      (valueTiles && !valueTiles->checkedAxes.empty());
  if (!checked) {
    emitTiledOrDecode();
    return;
  }
  h.ifElse(tilesInBounds, [&] { emitTiledOrDecode(); }, [&] { emitCompute(/*tiles=*/false); });
}

/// The tiled computation, or the decode path for a task of few queries.
void AttentionKernel::emitTiledOrDecode() {
  if (!dotForm || !valueTiles || op.getTopk()) {
    emitCompute(/*tiles=*/true);
    return;
  }
  h.ifElse(h.cmp(arith::CmpIPredicate::sle, qCount, h.idx(kDecodeQueries)), [&] { emitDecode(); },
           [&] { emitCompute(/*tiles=*/true); });
}

/// The task's computation: initial state, the queries packed for the dot
/// form, the top-K selection pass, the key blocks, the normalisation.
void AttentionKernel::emitCompute(bool tiles) {
  dot = tiles ? dotForm : std::nullopt;
  valueForm = tiles ? valueTiles : std::nullopt;
  h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) {
    h.store(ninf, m, q);
    h.store(zero, l, q);
    if (unnormalized)
      h.store(h.f32(1.0), alpha, q); // the accumulator is never rescaled
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
  // topk(K): a first pass over the keys finds each query's threshold.
  std::optional<TopKSelection> topk;
  if (op.getTopk()) {
    topk.emplace(h, op.getTopk(), T, BQ);
    topk->select([&] {
      forEachLiveKeyBlock(i0, qCount, [&](Value j0, Value kCount, Value allTrue) {
        scoreTile(j0, kCount, allTrue,
                  [&](Value, Value qq, Value s, Value) { topk->insert(qq, s); });
      });
    });
  }

  forEachLiveKeyBlock(i0, qCount, [&](Value j0, Value kCount, Value allTrue) {
    // 1-2. Scores, masked (and cut to the top K), and the new running
    // maximum on the way (unnormalized: the weights alone).
    if (!unnormalized)
      h.loop(h.idx(0), h.idx(BQ), 1, [&](Value q) { h.store(h.load(m, q), mNew, q); });
    scoreTile(j0, kCount, allTrue, [&](Value jj, Value qq, Value s, Value inRange) {
      if (topk)
        s = topk->keep(qq, s, inRange);
      h.store(s, st, {jj, qq});
      if (!unnormalized)
        h.store(b.create<arith::MaximumFOp>(loc, h.load(mNew, qq), s), mNew, qq);
    });
    // 3-4. The softmax's update, then the values.
    if (!unnormalized)
      onlineSoftmax();
    accumulateValues(j0, kCount, allTrue);
  });
  normalize();
}

/// [lo, hi) such that every weight St[k][c0 .. c0 + 2 VW) is 0 for k < lo
/// and for hi <= k < kCount; NaN counts as nonzero.
std::pair<Value, Value> AttentionKernel::nonzeroKeys(Value c0, Value kCount) {
  auto zeroRow = [&](Value jj) -> Value {
    auto nonzero = [&](Value c) {
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, h.vload(VW, st, {jj, c}),
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
  // The row read while testing k is clamped into the tile; the bound test
  // decides.
  Value hi = skipZeros(
      kCount, [&](Value k) { return h.cmp(P::sgt, k, h.idx(0)); },
      [&](Value k) { return b.create<arith::MaxSIOp>(loc, h.sub(k, h.idx(1)), h.idx(0)); }, -1);
  Value lo = skipZeros(
      h.idx(0), [&](Value k) { return h.cmp(P::slt, k, hi); },
      [&](Value k) { return h.min(k, h.idx(BK - 1)); }, 1);
  return {lo, hi};
}

/// (all true, all false) of the mask over queries [iLo, iHi] and keys
/// [jLo, jHi]: an interval evaluation of the mask region.
std::pair<Value, Value> AttentionKernel::maskOver(Value iLo, Value iHi, Value jLo, Value jHi) {
  IRMapping maskBatch = batchMap(op.getMask());
  return emitMaskIntervalTest(b, loc, op.getMask().front(), maskBatch, nb, iLo, iHi, jLo, jHi);
}

/// The key blocks the mask leaves alive for queries [iFirst, iFirst +
/// iCount): the mask test over each block skips the fully masked ones.
void AttentionKernel::forEachLiveKeyBlock(Value iFirst, Value iCount, KeyBlockFn body) {
  h.loop(h.idx(0), numKBlocks, 1, [&](Value kb) {
    Value j0 = h.mul(kb, h.idx(BK));
    Value kCount = h.min(h.idx(BK), h.sub(T, j0));
    auto [allTrue, allFalse] = maskOver(iFirst, last(iFirst, iCount), j0, last(j0, kCount));
    auto live = b.create<scf::IfOp>(loc, allFalse, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&live.getElseRegion().front());
    body(j0, kCount, allTrue);
  });
}

/// The scores of one key block: St[k][q] from the register-tiled inner
/// product (dot form), then the rest of the score region, the mask and -inf
/// past the last key, element by element, each handed to `element(jj, qq,
/// score, jj < kCount)`. The mask test is hoisted: a tile known all unmasked
/// gets a loop without it. In a block the mask cuts through (a causal
/// diagonal), the product skips the register tiles it masks entirely: their
/// scores become -inf whatever St holds.
void AttentionKernel::scoreTile(Value j0, Value kCount, Value allTrue, ElementFn element) {
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
      Value allFalse = maskOver(iLo, last(iLo, h.idx(2 * VW)), jLo, last(jLo, h.idx(rows))).second;
      b.create<scf::YieldOp>(loc, h.logicalNot(allFalse));
      return test.getResult(0);
    };
    TileProduct{st, qt, BQ, VW, TR, h.idx(BK), depth, keyElement, zeroInit, tileLive}.emit(h);
  }
  h.ifElse(allTrue, [&] { scoreElements(j0, kCount, /*masked=*/false, element); },
           [&] { scoreElements(j0, kCount, /*masked=*/true, element); });
}

/// The score region (after the tiled product, if any), the mask when
/// `masked`, and -inf past the last key, for every (key, query) of the tile.
void AttentionKernel::scoreElements(Value j0, Value kCount, bool masked, ElementFn element) {
  Block &scoreBlock = op.getScore().front();
  Block &maskBlock = op.getMask().front();
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
        s = b.create<arith::SelectOp>(loc, keep, s, fill);
      }
      element(jj, qq, b.create<arith::SelectOp>(loc, inRange, s, fill), inRange);
    });
  });
}

/// The online softmax's update over the block, two vectors of queries at a
/// time (their running state stays in registers over the keys, and the two
/// exp chains interleave, which hides the polynomial's latency): alpha =
/// exp(m - m_new), St <- exp(St - m_new), l <- l * alpha + sum, m <- m_new.
void AttentionKernel::onlineSoftmax() {
  const int64_t SW = 2 * VW;
  auto vt = VectorType::get({SW}, f32);
  Value zeroV = h.f32Like(0.0, vt);
  h.loop(h.idx(0), h.idx(BQ), SW, [&](Value q) {
    Value mn = h.vload(SW, mNew, q);
    auto [alphaV, shift] = rescaleAndShift(h.vload(SW, m, q), mn);
    h.vstore(alphaV, alpha, q);
    auto keys = b.create<scf::ForOp>(
        loc, h.idx(0), h.idx(BK), h.idx(1), ValueRange{zeroV},
        [&](OpBuilder &nb, Location, Value jj, ValueRange sum) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Value p =
              expNonPositive(h, b.create<arith::SubFOp>(loc, h.vload(SW, st, {jj, q}), shift));
          h.vstore(p, st, {jj, q});
          b.create<scf::YieldOp>(loc, ValueRange{b.create<arith::AddFOp>(loc, sum[0], p)});
        });
    h.vstore(runningSum(h.vload(SW, l, q), alphaV, keys.getResult(0), mn), l, q);
    h.vstore(mn, m, q);
  });
}

/// The online softmax's step from the old running maximum to the new one
/// (f32 or vectors of it): alpha = exp(m_old - m_new), 0 for a row that had
/// no live score; and the shift subtracted from the block's scores, m_new,
/// or 0 for a row with no live score yet (only -inf scores: every weight is
/// then exp(-inf) = 0, not NaN).
std::pair<Value, Value> AttentionKernel::rescaleAndShift(Value mOld, Value mNewV) {
  Type type = mOld.getType();
  Value zeroV = h.f32Like(0.0, type);
  Value ninfV = h.f32Like(-std::numeric_limits<double>::infinity(), type);
  Value fresh = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mOld, ninfV);
  Value scale = expNonPositive(h, b.create<arith::SubFOp>(loc, mOld, mNewV));
  Value alphaV = b.create<arith::SelectOp>(loc, fresh, zeroV, scale);
  Value none = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mNewV, ninfV);
  return {alphaV, b.create<arith::SelectOp>(loc, none, zeroV, mNewV)};
}

/// l * alpha + the block's sum of weights. A NaN or +inf maximum makes the
/// row NaN, as in the reference, where exp(score - max) is then NaN.
Value AttentionKernel::runningSum(Value lOld, Value alphaV, Value blockSum, Value mNewV) {
  Type type = lOld.getType();
  Value sum = b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, lOld, alphaV), blockSum);
  Value poisoned = b.create<arith::CmpFOp>(
      loc, arith::CmpFPredicate::UGE, mNewV,
      h.f32Like(std::numeric_limits<double>::infinity(), type));
  return b.create<arith::SelectOp>(
      loc, poisoned, h.f32Like(std::numeric_limits<double>::quiet_NaN(), type), sum);
}

/// 1 / l, or 0 for a fully masked row (l = 0), whose output is 0.
Value AttentionKernel::reciprocalOrZero(Value lv) {
  Value empty = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, lv, zero);
  return b.create<arith::SelectOp>(loc, empty, zero,
                                   b.create<arith::DivFOp>(loc, h.f32(1.0), lv));
}

/// Ot = Ot * alpha + V^T . P^T over the block's valid keys. In a block the
/// mask cuts through, each group of 2 vectors of queries multiplies only its
/// keys from the first to the last with a nonzero weight: masked keys weigh
/// exactly 0.
void AttentionKernel::accumulateValues(Value j0, Value kCount, Value allTrue) {
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
  TileProduct{ot, st, BQ, VW, TR, D, kCount, valueElement, rescaled, nullptr, keyRange}.emit(h);
}

/// out[q][d] = Ot[d][q] / l[q] for the task's rows (0 for a fully masked row);
/// Ot[d][q] itself with unnormalized weights.
void AttentionKernel::normalize() {
  h.loop(h.idx(0), qCount, 1, [&](Value q) {
    Value inv = unnormalized ? h.f32(1.0) : reciprocalOrZero(h.load(l, q));
    h.loop(h.idx(0), D, 1, [&](Value d) {
      SmallVector<Value> idx(batch);
      idx.append({h.add(i0, q), d});
      h.store(b.create<arith::MulFOp>(loc, h.load(ot, {d, q}), inv), out, idx);
    });
  });
}

//===----------------------------------------------------------------------===//
// The decode path: one query at a time
//===----------------------------------------------------------------------===//

/// Each of the task's queries alone: per live key block, its scores (the
/// inner product vectorised over the depth, then the rest of the score
/// region and the mask), the online-softmax update on scalars with the
/// weights' exponentials in vectors of keys, and the weighted sum of the
/// value rows vectorised over the head dim. The same arithmetic as the tiled
/// path, in the same order per query, up to the inner product's summation.
void AttentionKernel::emitDecode() {
  // Padding past the block's keys weighs exp(-inf) = 0 (or 0 itself).
  h.loop(h.idx(0), h.idx(paddedBK()), 1, [&](Value jj) { h.store(fill, pk, jj); });
  h.loop(h.idx(0), qCount, 1, [&](Value q) {
    Value i = h.add(i0, q), c0 = h.idx(0);
    h.store(ninf, m, c0);
    h.store(zero, l, c0);
    if (unnormalized)
      h.store(h.f32(1.0), alpha, c0);
    h.loop(h.idx(0), D, 1, [&](Value d) { h.store(zero, od, d); });
    forEachLiveKeyBlock(i, h.idx(1), [&](Value j0, Value kCount, Value allTrue) {
      h.store(h.load(m, c0), mNew, c0);
      h.ifElse(allTrue, [&] { decodeScores(i, j0, kCount, /*masked=*/false); },
               [&] { decodeScores(i, j0, kCount, /*masked=*/true); });
      if (!unnormalized)
        decodeSoftmax(kCount);
      decodeValues(j0, kCount);
    });
    // out[i][d] = od[d] / l (0 for a fully masked row); od with unnormalized
    // weights.
    Value inv = unnormalized ? h.f32(1.0) : reciprocalOrZero(h.load(l, c0));
    h.loop(h.idx(0), D, 1, [&](Value d) {
      SmallVector<Value> idx(batch);
      idx.append({i, d});
      h.store(b.create<arith::MulFOp>(loc, h.load(od, d), inv), out, idx);
    });
  });
}

/// sum(d: q[i, d] * k[j, d]) in vectors of the depth, the tail masked.
Value AttentionKernel::depthDot(Value i, Value j) {
  auto vt = VectorType::get({VW}, f32);
  auto maskType = VectorType::get({VW}, b.getI1Type());
  Value zeroV = h.f32Like(0.0, vt);
  auto sum = b.create<scf::ForOp>(
      loc, h.idx(0), depth, h.idx(VW), ValueRange{zeroV},
      [&](OpBuilder &nb, Location, Value d, ValueRange acc) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value lanes = b.create<vector::CreateMaskOp>(loc, maskType, ValueRange{h.sub(depth, d)});
        auto row = [&](Value buf, ArrayRef<Value> lead, Value r) {
          SmallVector<Value> idx(lead);
          idx.append({r, d});
          return b.create<vector::MaskedLoadOp>(loc, vt, buf, idx, lanes, zeroV).getResult();
        };
        Value fma = b.create<vector::FMAOp>(loc, row(qBuf, qLead, i), row(kBuf, kLead, j), acc[0]);
        b.create<scf::YieldOp>(loc, ValueRange{fma});
      });
  return b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, sum.getResult(0));
}

/// pk[jj] = the score of query i and key j0 + jj (masked when `masked`, -inf
/// past the last key); mNew[0] = the running maximum with them.
void AttentionKernel::decodeScores(Value i, Value j0, Value kCount, bool masked) {
  Block &scoreBlock = op.getScore().front();
  Block &maskBlock = op.getMask().front();
  Value c0 = h.idx(0);
  h.loop(h.idx(0), h.idx(BK), 1, [&](Value jj) {
    Value inRange = h.cmp(arith::CmpIPredicate::ult, jj, kCount);
    Value jc = h.min(h.add(j0, jj), tLast);
    IRMapping map = scoreBatch;
    map.map(scoreBlock.getArgument(nb), i);
    map.map(scoreBlock.getArgument(nb + 1), jc);
    map.map(dotForm->reduce.getResult(), depthDot(i, jc));
    Value s = cloneRegion(b, scoreBlock, map, dotForm->reduce);
    if (masked) {
      IRMapping mm = batchMap(op.getMask());
      mm.map(maskBlock.getArgument(nb), i);
      mm.map(maskBlock.getArgument(nb + 1), jc);
      s = b.create<arith::SelectOp>(loc, cloneRegion(b, maskBlock, mm), s, fill);
    }
    s = b.create<arith::SelectOp>(loc, inRange, s, fill);
    h.store(s, pk, jj);
    if (!unnormalized)
      h.store(b.create<arith::MaximumFOp>(loc, h.load(mNew, c0), s), mNew, c0);
  });
}

/// The online softmax's update for one query, as onlineSoftmax does it for
/// a vector of them: pk <- exp(pk - m_new), l <- l * alpha + sum, m <- m_new,
/// alpha[0] = exp(m - m_new).
void AttentionKernel::decodeSoftmax(Value kCount) {
  auto vt = VectorType::get({VW}, f32);
  Value c0 = h.idx(0);
  Value mn = h.load(mNew, c0);
  auto [alphaS, shiftS] = rescaleAndShift(h.load(m, c0), mn);
  h.store(alphaS, alpha, c0);
  Value shift = b.create<vector::BroadcastOp>(loc, vt, shiftS);
  auto keys = b.create<scf::ForOp>(
      loc, h.idx(0), h.ceilDiv(kCount, h.idx(VW)), h.idx(1), ValueRange{h.f32Like(0.0, vt)},
      [&](OpBuilder &nb, Location, Value g, ValueRange sum) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value jj = h.mul(g, h.idx(VW));
        Value p = expNonPositive(h, b.create<arith::SubFOp>(loc, h.vload(VW, pk, jj), shift));
        h.vstore(p, pk, jj);
        b.create<scf::YieldOp>(loc, ValueRange{b.create<arith::AddFOp>(loc, sum[0], p)});
      });
  Value blockSum = b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, keys.getResult(0));
  h.store(runningSum(h.load(l, c0), alphaS, blockSum, mn), l, c0);
  h.store(mn, m, c0);
  // The padding past the block (BK not a multiple of VW) became 0 above:
  // -inf again for the next block, whose scores overwrite keys [0, BK) only.
  if (paddedBK() > BK)
    h.loop(h.idx(BK), h.idx(paddedBK()), 1, [&](Value jj) { h.store(ninf, pk, jj); });
}

/// od = od * alpha + sum over the block's keys of pk[jj] * v[j0 + jj, :], in
/// vectors of the head dim, the tail masked.
void AttentionKernel::decodeValues(Value j0, Value kCount) {
  auto vt = VectorType::get({VW}, f32);
  auto maskType = VectorType::get({VW}, b.getI1Type());
  Value zeroV = h.f32Like(0.0, vt);
  Value alphaV = b.create<vector::BroadcastOp>(loc, vt, h.load(alpha, h.idx(0)));
  h.loop(h.idx(0), D, VW, [&](Value d) {
    Value lanes = b.create<vector::CreateMaskOp>(loc, maskType, ValueRange{h.sub(D, d)});
    Value acc = b.create<arith::MulFOp>(
        loc, b.create<vector::MaskedLoadOp>(loc, vt, od, ValueRange{d}, lanes, zeroV), alphaV);
    Value sum = h.loopCarrying(
        h.idx(0), kCount, 1, ValueRange{acc},
        [&](Value jj, ValueRange sum) -> SmallVector<Value> {
          SmallVector<Value> idx(vLead);
          idx.append({h.add(j0, jj), d});
          Value row = b.create<vector::MaskedLoadOp>(loc, vt, vBuf, idx, lanes, zeroV);
          Value p = b.create<vector::BroadcastOp>(loc, vt, h.load(pk, jj));
          return {b.create<vector::FMAOp>(loc, p, row, sum[0])};
        })[0];
    b.create<vector::MaskedStoreOp>(loc, od, ValueRange{d}, lanes, sum);
  });
}

struct LowerAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    return AttentionKernel(op, rewriter).build();
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
