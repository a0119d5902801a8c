//===- GemmKernel.cpp - attn.matmul as a packed, register-tiled GEMM ------===//
//
// C[batch..., m, n] = sum_k A[batch..., m, k] * B[batch..., k, n], followed by
// its epilogue, in blocks as BLIS computes them:
//
//   scf.parallel over tasks (outer batch index, block of at most mc rows,
//   block of at most nc columns, the blocks of equal sizes), which later
//   runs on the runtime's thread pool:
//     for each block of kc of the depth (at least one: K = 0 gives 0):
//       pack B[k0 : k0 + kc, n0 : n0 + nc] into panels Bp[p][k][tile columns],
//         zero past the last column (vector loads where B's rows are
//         contiguous, element by element through a transpose)
//       (a task of at most tileRows rows reads B in place instead: it would
//       read each element once)
//       when A has a prologue (element-wise ops it is read through), pack
//         A[m0 : m0 + mc, k0 : k0 + kc] into Ap, computing them once
//       for each panel p, for each register tile of rows (tileRows rows,
//       then 4, 2, 1 for the rest):
//         acc[r][v] = (first block ? 0 : C) + sum_k A(r, k) * Bp[p][k][v]
//         (tileRows x tileVectors accumulators in registers over the block)
//         on the last block, acc = epilogue(acc)
//         store acc into C (masked past the last column; in the layout of
//         the attn.heads the result goes to, when that is its only use);
//         when C is stored in f16 or bf16, the partial sums of the blocks
//         before the last go to an f32 buffer of the task instead
//
// Otherwise A is read in place, one element per row and step, broadcast
// (through transposes and head splits, whose indices are linear in the
// depth; a head merge before A is left to copy, since c / D and c % D per
// step cost more than the copy). B's prologue is computed as it is packed
// (or read, in place). When B has no
// batch axes of its own (x @ W with x [B, S, E]), C's trailing batch axes fold
// into the rows, so a row block spans them and every B * S fills whole tiles;
// the others index tasks. Each element of C is one sequential sum over k in
// every thread count, so results do not depend on the number of threads.
//
//===----------------------------------------------------------------------===//

#include "GemmKernel.h"

#include "attnc/Dialect/Attn/IR/ScalarSemantics.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <optional>

using namespace mlir;

namespace attnc::lowering {

using namespace attn;

GemmTiles GemmTiles::forTarget(int64_t vectorWidth, int64_t vectorRegisters) {
  GemmTiles t;
  t.vectorWidth = vectorWidth;
  t.tileVectors = vectorRegisters >= 32 ? 3 : 2;
  t.tileRows = std::min<int64_t>((vectorRegisters - t.tileVectors - 1) / t.tileVectors, 8);
  // One panel of B (depth x tile columns: 128 x 48 floats, 24 KiB with
  // AVX-512) stays in a 32 KiB L1 while every row tile of the task streams
  // over it; with a depth of 256 it did not, and 1024 x 1536 x 384 ran 40 %
  // slower. A task's rows of A (128 x 128 floats) and its packed B (128 x
  // 192) stay in L2.
  t.blockDepth = 128;
  t.blockRows = t.tileRows * (128 / t.tileRows);
  t.blockColumns = t.tileColumns() * std::max<int64_t>(192 / t.tileColumns(), 1);
  return t;
}

namespace {

class GemmKernel {
public:
  GemmKernel(MatmulOp op, const Epilogue &epilogue, const GemmTiles &tiles, RewriterBase &rewriter)
      : op(op), epilogue(epilogue), t(tiles), rewriter(rewriter), b(rewriter),
        loc(op.getLoc()), h{rewriter, op.getLoc()}, lhs(op.getLhs(), /*throughMerges=*/false),
        rhs(op.getRhs()) {}

  void build();

private:
  void prepareShape();
  void findHeadSplit();
  void prepareOutput();
  void emitTask(Value task);
  void packPanels(Value n0, Value columns, Value k0, Value depth);
  void packRows(ValueRange outer, Value r0, Value rows, Value k0, Value depth);
  void emitTiles(ValueRange outer, Value r0, Value rows, Value p, Value c0, Value k0, Value depth,
                 Value first, Value last);
  void emitTile(int64_t tr, ValueRange outer, Value row, Value p, Value c0, Value k0, Value depth,
                Value first, Value last);
  SmallVector<Value> applyEpilogue(ArrayRef<SmallVector<Value>> cRows, Value c0,
                                   ArrayRef<Value> accs);
  Value loadEpilogueOperand(Value tensor, ValueRange cRow, Value column);

  // Indices: C's batch and row indices of a row, and those of A, B and a
  // broadcast operand.
  SmallVector<Value> rowIndices(ValueRange outer, Value row);
  SmallVector<Value> lhsIndices(ValueRange cRow, Value k);
  SmallVector<Value> rhsIndices(ValueRange cBatch, Value k, Value n);
  SmallVector<Value> broadcastIndices(RankedTensorType operand, ValueRange cIndices);
  SmallVector<Value> delinearize(Value linear, ArrayRef<Value> extents);

  Value vectorOf(Value scalar) { return b.create<vector::BroadcastOp>(loc, vectorType, scalar); }
  /// `total` in the fewest parts of at most `most`, each the same multiple
  /// of `unit` (the last one shorter); at least 1.
  Value evenShare(Value total, int64_t most, int64_t unit) {
    Value atLeastOne = b.create<arith::MaxSIOp>(loc, total, h.idx(1));
    Value parts = h.ceilDiv(atLeastOne, h.idx(most));
    return h.mul(h.ceilDiv(h.ceilDiv(atLeastOne, parts), h.idx(unit)), h.idx(unit));
  }
  /// Whether a task of few rows may read B's rows in place.
  bool readsRhsInPlace() { return hasN && rhs.lastAxisContiguous(); }
  /// Whether C is stored in a narrower type than its f32 sums.
  bool narrowOutput() const { return static_cast<bool>(epilogue.narrowing); }

  /// Below this many multiply-adds (about 20 us on one core), a product
  /// with few rows runs as one task.
  static constexpr int64_t kSerialWork = 1 << 21;

  MatmulOp op;
  const Epilogue &epilogue;
  GemmTiles t;
  RewriterBase &rewriter;
  OpBuilder &b;
  Location loc;
  LoopBuilder h;
  OperandView lhs, rhs;
  /// The views of the epilogue's tensor operands.
  SmallVector<std::pair<Value, OperandView>> operandViews;

  RankedTensorType cType;
  VectorType vectorType;
  int64_t numBatch = 0, firstRowAxis = 0;
  bool hasM = false, hasN = false;
  SmallVector<Value> extents, rowExtents;
  Value N, K, numRows;
  Value out;
  bufferization::MaterializeInDestinationOp destination;
  /// The attn.heads the result goes to, stored in its layout, and its D.
  HeadsOp splitInto;
  int64_t headWidth = 0;
  /// The rows and columns of a task (its columns at most the packed
  /// panels' unless it reads B in place), and the blocks they make.
  Value taskRows, taskColumns, mBlocks, nBlocks;
  /// The task's packed panels of B; and while its tiles read B in place
  /// instead, readDirectly. B's batch indices of the task.
  Value packed;
  bool readDirectly = false;
  SmallVector<Value> rhsBatch;
  /// The task's packed rows of A (when A has a prologue), the f32 partial
  /// sums (when C is narrower), and the task's first row and column.
  Value packedLhs, partialSums, taskRow0, taskColumn0;
};

void GemmKernel::build() {
  b.setInsertionPoint(epilogue.ops.empty() ? op.getOperation() : epilogue.ops.back());
  vectorType = VectorType::get({t.vectorWidth}, b.getF32Type());
  lhs.materialize(h);
  rhs.materialize(h);
  prepareShape();
  findHeadSplit();
  prepareOutput();
  for (ElementwiseOpInterface e : epilogue.ops)
    for (Value o : e->getOperands())
      if (isa<RankedTensorType>(o.getType()) && o != op.getResult() &&
          llvm::none_of(epilogue.ops, [&](auto x) { return x->getResult(0) == o; }) &&
          llvm::none_of(operandViews, [&](auto &v) { return v.first == o; })) {
        operandViews.push_back({o, OperandView(o)});
        operandViews.back().second.materialize(h);
      }

  Value numOuter = h.idx(1);
  for (Value e : ArrayRef<Value>(extents).take_front(firstRowAxis))
    numOuter = h.mul(numOuter, e);
  // Rows and columns per task: the blocks' sizes at most, shared out evenly
  // (rounded up to whole register tiles) so that tasks take equal times. A
  // product too small to repay starting a thread (a decode step's) with B
  // read in place is one task per batch index: with a single task the
  // runtime runs it on the calling thread.
  taskRows = evenShare(numRows, t.blockRows, t.tileRows);
  taskColumns = evenShare(N, t.blockColumns, t.tileColumns());
  // (A narrower C keeps the panels' columns: its partial sums have a
  // buffer of that size.)
  if (readsRhsInPlace() && !narrowOutput()) {
    Value work = h.mul(h.mul(numRows, N), K);
    Value small = b.create<arith::AndIOp>(
        loc, h.cmp(arith::CmpIPredicate::sle, numRows, h.idx(t.tileRows)),
        h.cmp(arith::CmpIPredicate::slt, work, h.idx(kSerialWork)));
    Value allColumns = b.create<arith::MaxSIOp>(loc, N, h.idx(1));
    taskColumns = b.create<arith::SelectOp>(loc, small, allColumns, taskColumns);
  }
  mBlocks = h.ceilDiv(numRows, taskRows);
  nBlocks = h.ceilDiv(N, taskColumns);
  Value numTasks = h.mul(h.mul(numOuter, mBlocks), nBlocks);
  b.create<scf::ParallelOp>(loc, ValueRange{h.idx(0)}, ValueRange{numTasks}, ValueRange{h.idx(1)},
                            [&](OpBuilder &pb, Location, ValueRange ivs) {
                              OpBuilder::InsertionGuard g(b);
                              b.setInsertionPoint(pb.getInsertionBlock(), pb.getInsertionPoint());
                              emitTask(ivs[0]);
                            });

  Operation *last = epilogue.result.getDefiningOp();
  Operation *replaced = splitInto ? splitInto.getOperation() : last;
  if (destination) {
    rewriter.eraseOp(destination);
    rewriter.eraseOp(replaced);
  } else {
    Value result = b.create<bufferization::ToTensorOp>(loc, replaced->getResult(0).getType(), out,
                                                       /*restrict=*/true, /*writable=*/true);
    rewriter.replaceOp(replaced, result);
  }
  if (splitInto)
    rewriter.eraseOp(last);
  for (ElementwiseOpInterface e : llvm::reverse(epilogue.ops))
    if (e.getOperation() != last)
      rewriter.eraseOp(e);
  if (op.getOperation() != last)
    rewriter.eraseOp(op);
}

/// Which of C's batch axes fold into the rows: the trailing ones along which
/// B does not vary.
void GemmKernel::prepareShape() {
  cType = cast<RankedTensorType>(op.getResult().getType());
  auto bType = cast<RankedTensorType>(op.getRhs().getType());
  hasM = cast<RankedTensorType>(op.getLhs().getType()).getRank() > 1;
  hasN = bType.getRank() > 1;
  numBatch = op.getNumBatchAxes();
  auto extentOf = [&](unsigned operand, int64_t axis) {
    return (operand == 0 ? lhs : rhs).extent(h, axis);
  };
  extents = op.buildResultExtents(b, extentOf);
  K = op.buildDepth(b, extentOf);
  N = hasN ? extents.back() : h.idx(1);
  int64_t rhsBatch = std::max<int64_t>(bType.getRank() - 2, 0);
  firstRowAxis = numBatch;
  while (firstRowAxis > 0) {
    int64_t own = firstRowAxis - 1 - (numBatch - rhsBatch);
    if (own >= 0 && bType.getDimSize(own) != 1)
      break;
    --firstRowAxis;
  }
  rowExtents.assign(extents.begin() + firstRowAxis, extents.begin() + numBatch + (hasM ? 1 : 0));
  numRows = h.idx(1);
  for (Value e : rowExtents)
    numRows = h.mul(numRows, e);
}

/// A result that only goes to attn.heads is stored in the heads' layout,
/// [..., s, h * D + d] at [..., h, s, d], when a vector of columns never
/// crosses from one head to the next (D a multiple of the vector width).
void GemmKernel::findHeadSplit() {
  Value result = epilogue.result;
  auto heads = dyn_cast_or_null<HeadsOp>(result.hasOneUse() ? *result.user_begin() : nullptr);
  if (!heads || !hasM || !hasN)
    return;
  int64_t width = cast<RankedTensorType>(heads.getResult().getType()).getShape().back();
  Operation *def = heads.getNumHeads().getDefiningOp();
  Operation *at = &*b.getInsertionPoint();
  bool dominates = !def || def->getBlock() != at->getBlock() || def->isBeforeInBlock(at);
  if (ShapedType::isDynamic(width) || width % t.vectorWidth != 0 || !dominates)
    return;
  splitInto = heads;
  headWidth = width;
}

/// The output buffer, written in place by the tasks.
void GemmKernel::prepareOutput() {
  ResultBuffer result;
  if (splitInto) {
    // [..., H, S, D] of C's [..., S, H * D].
    SmallVector<Value> split(extents.begin(), extents.end() - 2);
    split.append({splitInto.getNumHeads(), extents[extents.size() - 2], h.idx(headWidth)});
    result = resultBuffer(h, splitInto.getResult(), split);
  } else {
    result = resultBuffer(h, epilogue.result, extents);
  }
  out = result.buffer;
  destination = result.destination;
}

void GemmKernel::emitTask(Value task) {
  Value nBlock = b.create<arith::RemUIOp>(loc, task, nBlocks);
  Value rest = b.create<arith::DivUIOp>(loc, task, nBlocks);
  Value mBlock = b.create<arith::RemUIOp>(loc, rest, mBlocks);
  SmallVector<Value> outer = delinearize(b.create<arith::DivUIOp>(loc, rest, mBlocks),
                                         ArrayRef<Value>(extents).take_front(firstRowAxis));
  Value r0 = h.mul(mBlock, taskRows);
  Value rows = h.min(taskRows, h.sub(numRows, r0));
  Value n0 = h.mul(nBlock, taskColumns);
  Value columns = h.min(taskColumns, h.sub(N, n0));
  // B does not vary along the folded axes: index 0 there.
  rhsBatch.assign(outer.begin(), outer.end());
  rhsBatch.resize(numBatch, h.idx(0));

  int64_t panels = t.blockColumns / t.tileColumns();
  auto packedType = MemRefType::get({panels, t.blockDepth, t.tileColumns()}, b.getF32Type());
  packed = b.create<memref::AllocaOp>(loc, packedType, b.getI64IntegerAttr(64));
  auto taskType = [&](int64_t columns) {
    return MemRefType::get({t.blockRows, columns}, b.getF32Type());
  };
  if (lhs.computes())
    packedLhs = b.create<memref::AllocaOp>(loc, taskType(t.blockDepth), b.getI64IntegerAttr(64));
  if (narrowOutput())
    partialSums =
        b.create<memref::AllocaOp>(loc, taskType(t.blockColumns), b.getI64IntegerAttr(64));
  taskRow0 = r0;
  taskColumn0 = n0;
  Value kBlocks = b.create<arith::MaxSIOp>(loc, h.ceilDiv(K, h.idx(t.blockDepth)), h.idx(1));
  auto blocks = [&] {
    h.loop(h.idx(0), kBlocks, 1, [&](Value kb) {
      Value k0 = h.mul(kb, h.idx(t.blockDepth));
      Value depth = h.min(h.idx(t.blockDepth), h.sub(K, k0));
      Value first = h.cmp(arith::CmpIPredicate::eq, kb, h.idx(0));
      Value last = h.cmp(arith::CmpIPredicate::eq, kb, h.sub(kBlocks, h.idx(1)));
      if (!readDirectly)
        packPanels(n0, columns, k0, depth);
      if (packedLhs)
        packRows(outer, r0, rows, k0, depth);
      h.loop(h.idx(0), h.ceilDiv(columns, h.idx(t.tileColumns())), 1, [&](Value p) {
        Value c0 = h.add(n0, h.mul(p, h.idx(t.tileColumns())));
        emitTiles(outer, r0, rows, p, c0, k0, depth, first, last);
      });
    });
  };
  if (!readsRhsInPlace()) {
    blocks();
    return;
  }
  // A task of one tile of rows (a decode step's) reads each element of B
  // once: packing would only copy it first. Its tiles read B's rows in place
  // (and it may then have more columns than the packed panels hold).
  Value fewRows = h.cmp(arith::CmpIPredicate::sle, rows, h.idx(t.tileRows));
  h.ifElse(
      fewRows,
      [&] {
        readDirectly = true;
        blocks();
        readDirectly = false;
      },
      blocks);
}

/// Bp[p][k][c] = B[k0 + k][c0 + c] for the task's panels, 0 past N.
void GemmKernel::packPanels(Value n0, Value columns, Value k0, Value depth) {
  int64_t vw = t.vectorWidth;
  h.loop(h.idx(0), h.ceilDiv(columns, h.idx(t.tileColumns())), 1, [&](Value p) {
    Value c0 = h.add(n0, h.mul(p, h.idx(t.tileColumns())));
    if (hasN && rhs.lastAxisContiguous()) {
      h.loop(h.idx(0), depth, 1, [&](Value k) {
        for (int64_t v = 0; v < t.tileVectors; ++v) {
          Value c = h.add(c0, h.idx(v * vw));
          Value row = rhs.loadRow(h, rhsIndices(rhsBatch, h.add(k0, k), c), h.sub(N, c), vw);
          h.vstore(row, packed, {p, k, h.idx(v * vw)});
        }
      });
      return;
    }
    // Through a transpose: element by element, along B's contiguous depth.
    Value valid = h.min(h.sub(N, c0), h.idx(t.tileColumns()));
    Value partial = h.cmp(arith::CmpIPredicate::slt, valid, h.idx(t.tileColumns()));
    h.ifElse(
        partial,
        [&] {
          h.loop(h.idx(0), depth, 1, [&](Value k) {
            for (int64_t v = 0; v < t.tileVectors; ++v)
              h.vstore(h.f32Like(0.0, vectorType), packed, {p, k, h.idx(v * vw)});
          });
        },
        [] {});
    h.loop(h.idx(0), valid, 1, [&](Value c) {
      h.loop(h.idx(0), depth, 1, [&](Value k) {
        Value e = rhs.load(h, rhsIndices(rhsBatch, h.add(k0, k), h.add(c0, c)));
        h.store(e, packed, {p, k, c});
      });
    });
  });
}

/// Ap[r][k] = A[r0 + r][k0 + k] for the task's rows, with A's prologue
/// computed (vector by vector along the depth where A's rows are
/// contiguous).
void GemmKernel::packRows(ValueRange outer, Value r0, Value rows, Value k0, Value depth) {
  int64_t vw = t.vectorWidth;
  h.loop(h.idx(0), rows, 1, [&](Value r) {
    SmallVector<Value> cRow = rowIndices(outer, h.add(r0, r));
    if (lhs.lastAxisContiguous()) {
      h.loop(h.idx(0), depth, vw, [&](Value k) {
        Value row = lhs.loadRow(h, lhsIndices(cRow, h.add(k0, k)), h.sub(depth, k), vw);
        h.vstore(row, packedLhs, {r, k});
      });
      return;
    }
    h.loop(h.idx(0), depth, 1, [&](Value k) {
      h.store(lhs.load(h, lhsIndices(cRow, h.add(k0, k))), packedLhs, {r, k});
    });
  });
}

/// The register tiles of the task's rows against panel p: tiles of
/// tileRows rows, then of 4, 2 and 1 for the rest.
void GemmKernel::emitTiles(ValueRange outer, Value r0, Value rows, Value p, Value c0, Value k0,
                           Value depth, Value first, Value last) {
  Value lb = h.idx(0);
  for (int64_t tr = t.tileRows; tr >= 1;
       tr = tr == t.tileRows ? llvm::PowerOf2Ceil(tr) / 2 : tr / 2) {
    Value ub = h.add(lb, h.mul(b.create<arith::DivUIOp>(loc, h.sub(rows, lb), h.idx(tr)),
                               h.idx(tr)));
    h.loop(lb, ub, tr, [&](Value r) {
      emitTile(tr, outer, h.add(r0, r), p, c0, k0, depth, first, last);
    });
    lb = ub;
  }
}

void GemmKernel::emitTile(int64_t tr, ValueRange outer, Value row, Value p, Value c0, Value k0,
                          Value depth, Value first, Value last) {
  int64_t vw = t.vectorWidth, nv = t.tileVectors;
  SmallVector<SmallVector<Value>> cRows;
  for (int64_t i = 0; i < tr; ++i)
    cRows.push_back(rowIndices(outer, h.add(row, h.idx(i))));
  auto columnOf = [&](int64_t v) { return h.add(c0, h.idx(v * vw)); };
  auto cIndices = [&](int64_t i, int64_t v) {
    SmallVector<Value> idx(cRows[i]);
    if (splitInto) {
      // [..., s, n] is [..., n / D, s, n % D] of the heads' layout.
      Value row = idx.pop_back_val(), n = columnOf(v), d = h.idx(headWidth);
      idx.append({b.create<arith::DivUIOp>(loc, n, d), row, b.create<arith::RemUIOp>(loc, n, d)});
    } else if (hasN) {
      idx.push_back(columnOf(v));
    }
    return idx;
  };
  // A narrower C keeps the partial sums in the task's f32 buffer, at the
  // tile's row and column within the task.
  auto partialIndices = [&](int64_t i, int64_t v) -> SmallVector<Value> {
    return {h.add(h.sub(row, taskRow0), h.idx(i)), h.sub(columnOf(v), taskColumn0)};
  };
  auto columnMask = [&](int64_t v) {
    return b.create<vector::CreateMaskOp>(loc, VectorType::get({vw}, b.getI1Type()),
                                          h.sub(N, columnOf(v)));
  };

  // The accumulators start at 0 on the first block of the depth, else at C.
  auto start = b.create<scf::IfOp>(loc, first, [&](OpBuilder &nb, Location) {
    nb.create<scf::YieldOp>(loc, SmallVector<Value>(tr * nv, h.f32Like(0.0, vectorType)));
  }, [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
    SmallVector<Value> c;
    for (int64_t i = 0; i < tr; ++i)
      for (int64_t v = 0; v < nv; ++v) {
        if (partialSums)
          c.push_back(h.vload(vw, partialSums, partialIndices(i, v)));
        else if (!hasN)
          c.push_back(vectorOf(h.load(out, cIndices(i, v))));
        else
          c.push_back(b.create<vector::MaskedLoadOp>(loc, vectorType, out, cIndices(i, v),
                                                     columnMask(v),
                                                     h.f32Like(0.0, vectorType)));
      }
    b.create<scf::YieldOp>(loc, c);
  });

  auto loop = b.create<scf::ForOp>(
      loc, h.idx(0), depth, h.idx(1), start.getResults(),
      [&](OpBuilder &nb, Location, Value k, ValueRange acc) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> bv;
        for (int64_t v = 0; v < nv; ++v)
          bv.push_back(readDirectly
                           ? rhs.loadRow(h, rhsIndices(rhsBatch, h.add(k0, k), columnOf(v)),
                                         h.sub(N, columnOf(v)), vw)
                           : h.vload(vw, packed, {p, k, h.idx(v * vw)}));
        SmallVector<Value> next(acc);
        for (int64_t i = 0; i < tr; ++i) {
          Value a = packedLhs
                        ? h.load(packedLhs, {h.add(h.sub(row, taskRow0), h.idx(i)), k})
                        : lhs.load(h, lhsIndices(cRows[i], h.add(k0, k)));
          for (int64_t v = 0; v < nv; ++v)
            next[i * nv + v] = b.create<vector::FMAOp>(loc, vectorOf(a), bv[v], acc[i * nv + v]);
        }
        b.create<scf::YieldOp>(loc, next);
      });
  SmallVector<Value> acc(loop.getResults());

  if (!epilogue.ops.empty()) {
    auto finish = b.create<scf::IfOp>(loc, last, [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
      b.create<scf::YieldOp>(loc, applyEpilogue(cRows, c0, acc));
    }, [&](OpBuilder &nb, Location) { nb.create<scf::YieldOp>(loc, acc); });
    acc.assign(finish.getResults().begin(), finish.getResults().end());
  }

  // In C's type: the sums', or the narrower one the epilogue converts to.
  auto storeResults = [&] {
    for (int64_t i = 0; i < tr; ++i)
      for (int64_t v = 0; v < nv; ++v) {
        Value x = acc[i * nv + v];
        if (hasN) {
          storeRow(h, x, out, cIndices(i, v), h.sub(N, columnOf(v)));
        } else if (v == 0) {
          // One column: lane 0 is C's element.
          Value e = b.create<vector::ExtractOp>(loc, x, ArrayRef<int64_t>{0});
          Type element = cast<MemRefType>(out.getType()).getElementType();
          h.store(scalar::cast(b, loc, e, element), out, cIndices(i, v));
        }
      }
  };
  if (!partialSums) {
    storeResults();
    return;
  }
  h.ifElse(last, storeResults, [&] {
    for (int64_t i = 0; i < tr; ++i)
      for (int64_t v = 0; v < nv; ++v)
        h.vstore(acc[i * nv + v], partialSums, partialIndices(i, v));
  });
}

/// The epilogue's ops on each accumulator vector, in order.
SmallVector<Value> GemmKernel::applyEpilogue(ArrayRef<SmallVector<Value>> cRows, Value c0,
                                             ArrayRef<Value> accs) {
  SmallVector<Value> results;
  for (auto [n, acc] : llvm::enumerate(accs)) {
    ArrayRef<Value> cRow = cRows[n / t.tileVectors];
    Value column = h.add(c0, h.idx((n % t.tileVectors) * t.vectorWidth));
    Value x = acc, chain = op.getResult();
    for (ElementwiseOpInterface e : epilogue.ops) {
      if (e.getOperation() == epilogue.narrowing)
        break;  // applied as C is stored
      SmallVector<Value> operands;
      for (Value o : e->getOperands()) {
        if (o == chain)
          operands.push_back(x);
        else if (isa<RankedTensorType>(o.getType()))
          operands.push_back(loadEpilogueOperand(o, cRow, column));
        else
          operands.push_back(vectorOf(scalar::cast(b, loc, o, b.getF32Type())));
      }
      x = e.buildScalar(b, loc, operands, vectorType);
      chain = e->getResult(0);
    }
    results.push_back(x);
  }
  return results;
}

/// The vector of a broadcast epilogue operand at C's row and the columns
/// from `column` on: one load along C's columns when the operand has them
/// contiguous, else its element at the first column, broadcast (columns past
/// N are never stored, so any value may stand there).
Value GemmKernel::loadEpilogueOperand(Value tensor, ValueRange cRow, Value column) {
  const OperandView &view =
      llvm::find_if(operandViews, [&](auto &v) { return v.first == tensor; })->second;
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> cIndices(cRow);
  if (hasN)
    cIndices.push_back(column);
  SmallVector<Value> idx = broadcastIndices(type, cIndices);
  bool alongColumns = hasN && type.getRank() > 0 && type.getShape().back() != 1;
  if (alongColumns && view.lastAxisContiguous())
    return view.loadRow(h, idx, h.sub(N, column), t.vectorWidth);
  if (!alongColumns)
    return vectorOf(view.load(h, idx));
  // Along the columns but not contiguous: lane by lane, clamped to N.
  Value v = h.f32Like(0.0, vectorType);
  for (int64_t lane = 0; lane < t.vectorWidth; ++lane) {
    idx.back() = h.min(h.add(column, h.idx(lane)), h.sub(N, h.idx(1)));
    v = b.create<vector::InsertOp>(loc, view.load(h, idx), v, ArrayRef<int64_t>{lane});
  }
  return v;
}

SmallVector<Value> GemmKernel::delinearize(Value linear, ArrayRef<Value> extents) {
  SmallVector<Value> idx(extents.size());
  for (int64_t a = static_cast<int64_t>(extents.size()) - 1; a >= 0; --a) {
    if (a == 0) {
      idx[a] = linear;
      break;
    }
    idx[a] = b.create<arith::RemUIOp>(loc, linear, extents[a]);
    linear = b.create<arith::DivUIOp>(loc, linear, extents[a]);
  }
  return idx;
}

SmallVector<Value> GemmKernel::rowIndices(ValueRange outer, Value row) {
  SmallVector<Value> idx(outer);
  idx.append(delinearize(row, rowExtents));
  return idx;
}

SmallVector<Value> GemmKernel::lhsIndices(ValueRange cRow, Value k) {
  auto type = cast<RankedTensorType>(op.getLhs().getType());
  SmallVector<Value> idx = alignedBatch(h, type, std::max<int64_t>(type.getRank() - 2, 0),
                                        cRow.take_front(numBatch));
  if (hasM)
    idx.push_back(cRow[numBatch]);
  idx.push_back(k);
  return idx;
}

SmallVector<Value> GemmKernel::rhsIndices(ValueRange cBatch, Value k, Value n) {
  auto type = cast<RankedTensorType>(op.getRhs().getType());
  SmallVector<Value> idx =
      alignedBatch(h, type, std::max<int64_t>(type.getRank() - 2, 0), cBatch);
  idx.push_back(k);
  if (hasN)
    idx.push_back(n);
  return idx;
}

SmallVector<Value> GemmKernel::broadcastIndices(RankedTensorType operand, ValueRange cIndices) {
  return alignedBatch(h, operand, operand.getRank(), cIndices);
}

} // namespace

void buildGemm(MatmulOp op, const Epilogue &epilogue, const GemmTiles &tiles,
               RewriterBase &rewriter) {
  GemmKernel(op, epilogue, tiles, rewriter).build();
}

} // namespace attnc::lowering
