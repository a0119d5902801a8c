//===- KernelBuilder.cpp - Building blocks of the CPU kernels -------------===//

#include "KernelBuilder.h"

#include "attnc/Dialect/Attn/IR/ScalarSemantics.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

using namespace mlir;

namespace attnc::lowering {

Value cloneRegion(OpBuilder &b, Block &block, IRMapping &map, Operation *skip) {
  for (Operation &o : block.without_terminator())
    if (&o != skip)
      b.clone(o, map);
  return map.lookupOrDefault(cast<attn::YieldOp>(block.getTerminator()).getValue());
}

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

ResultBuffer resultBuffer(LoopBuilder &h, Value result, ValueRange extents) {
  auto destination = dyn_cast_or_null<mlir::bufferization::MaterializeInDestinationOp>(
      result.hasOneUse() ? *result.user_begin() : nullptr);
  if (destination && isa<MemRefType>(destination.getDest().getType()))
    return {destination.getDest(), destination};
  auto type = cast<mlir::RankedTensorType>(result.getType());
  SmallVector<Value> dynamic;
  for (int64_t a = 0; a < type.getRank(); ++a)
    if (type.isDynamicDim(a))
      dynamic.push_back(extents[a]);
  Value buffer = h.b.create<memref::AllocOp>(
      h.loc, MemRefType::get(type.getShape(), type.getElementType()), dynamic,
      h.b.getI64IntegerAttr(64));
  return {buffer, nullptr};
}

// A masked load or store of bf16 is, to LLVM on a CPU without AVX512-BF16,
// a vector of bf16 built or taken apart lane by lane, which it does through
// calls converting to and from f32 (__truncsfbf2, which libgcc may lack). A
// whole vector is a plain load or store; a partial one moves its lanes as
// 16-bit integers.

Value maskedLoad(LoopBuilder &h, Value m, ValueRange i, Value count, int64_t width) {
  OpBuilder &b = h.b;
  Location loc = h.loc;
  Type element = cast<MemRefType>(m.getType()).getElementType();
  auto type = VectorType::get({width}, element);
  if (!element.isBF16()) {
    Value mask = b.create<vector::CreateMaskOp>(loc, VectorType::get({width}, b.getI1Type()),
                                                count);
    Value zero = h.constantLike(b.getFloatAttr(element, 0.0), type);
    return b.create<vector::MaskedLoadOp>(loc, type, m, i, mask, zero);
  }
  auto bits = VectorType::get({width}, b.getI16Type());
  Value whole = h.cmp(arith::CmpIPredicate::sge, count, h.idx(width));
  auto partial = [&](OpBuilder &nb, Location) {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
    Value zero = h.constantLike(b.getI16IntegerAttr(0), bits);
    Value lanes = h.loopCarrying(
        h.idx(0), count, 1, ValueRange{zero},
        [&](Value lane, ValueRange acc) -> SmallVector<Value> {
          SmallVector<Value> at(i);
          at.back() = h.add(at.back(), lane);
          Value e = b.create<arith::BitcastOp>(loc, b.getI16Type(), h.load(m, at));
          return {b.create<vector::InsertOp>(loc, e, acc[0], mlir::OpFoldResult(lane))};
        })[0];
    b.create<scf::YieldOp>(loc, b.create<arith::BitcastOp>(loc, type, lanes).getResult());
  };
  auto load = b.create<scf::IfOp>(
      loc, whole,
      [&](OpBuilder &nb, Location) {
        nb.create<scf::YieldOp>(loc, nb.create<vector::LoadOp>(loc, type, m, i).getResult());
      },
      partial);
  return load.getResult(0);
}

/// The bf16 bits (i16) of f32 `x` (or of a vector of f32), rounded to
/// nearest even in integer arithmetic without a select (LLVM would make a
/// select of bf16 of it; see above). A NaN keeps its upper half, made quiet,
/// and is not rounded (rounding could carry it into the sign).
static Value bf16Bits(LoopBuilder &h, Value x) {
  OpBuilder &b = h.b;
  Location loc = h.loc;
  Type i32 = attn::scalar::shapedLike(b.getI32Type(), x.getType());
  auto c = [&](int64_t v) { return h.constantLike(b.getI32IntegerAttr(v), i32); };
  auto andI = [&](Value p, Value q) { return b.create<arith::AndIOp>(loc, p, q); };
  auto shr = [&](Value p, int64_t n) { return b.create<arith::ShRUIOp>(loc, p, c(n)); };
  Value bits = b.create<arith::BitcastOp>(loc, i32, x);
  // nan = 1 for a NaN (|bits| above the infinity's), else 0.
  Value magnitude = andI(bits, c(0x7FFFFFFF));
  Value nan = shr(b.create<arith::SubIOp>(loc, c(0x7F800000), magnitude), 31);
  Value quiet = b.create<arith::OrIOp>(loc, bits, b.create<arith::ShLIOp>(loc, nan, c(22)));
  Value lowHalf = b.create<arith::SubIOp>(loc, b.create<arith::ShLIOp>(loc, nan, c(16)), nan);
  Value kept = andI(quiet, b.create<arith::XOrIOp>(loc, lowHalf, c(-1)));
  // Round to nearest even: add 0x7FFF, plus 1 when the kept half is odd.
  Value odd = andI(shr(kept, 16), c(1));
  Value rounded = shr(b.create<arith::AddIOp>(
                          loc, kept, b.create<arith::AddIOp>(loc, odd, c(0x7FFF))),
                      16);
  return b.create<arith::TruncIOp>(loc, attn::scalar::shapedLike(b.getI16Type(), i32), rounded);
}

void storeRow(LoopBuilder &h, Value x, Value m, ValueRange i, Value count) {
  OpBuilder &b = h.b;
  Location loc = h.loc;
  Type element = cast<MemRefType>(m.getType()).getElementType();
  int64_t width = cast<VectorType>(x.getType()).getShape()[0];
  auto type = VectorType::get({width}, element);
  if (!element.isBF16()) {
    if (!element.isF32())
      x = b.create<arith::TruncFOp>(loc, type, x);
    Value mask = b.create<vector::CreateMaskOp>(loc, VectorType::get({width}, b.getI1Type()),
                                                count);
    b.create<vector::MaskedStoreOp>(loc, m, i, mask, x);
    return;
  }
  h.ifElse(
      h.cmp(arith::CmpIPredicate::sge, count, h.idx(width)),
      [&] { h.vstore(b.create<arith::BitcastOp>(loc, type, bf16Bits(h, x)), m, i); },
      [&] {
        // Lane by lane from the f32 vector, rounded as scalars: LLVM merges
        // stores of lanes of a bf16 vector into a vector it builds through f32.
        h.loop(h.idx(0), count, 1, [&](Value lane) {
          SmallVector<Value> at(i);
          at.back() = h.add(at.back(), lane);
          Value e = b.create<vector::ExtractOp>(loc, x, mlir::OpFoldResult(lane));
          h.store(b.create<arith::BitcastOp>(loc, element, bf16Bits(h, e)), m, at);
        });
      });
}

Value expNonPositive(LoopBuilder &h, Value x) {
  OpBuilder &b = h.b;
  Location loc = h.loc;
  Type type = x.getType();
  auto c = [&](double v) { return h.f32Like(v, type); };
  Value t = b.create<arith::MulFOp>(loc, x, c(1.4426950408889634));  // log2(e)
  // Unordered: NaN is raised to -127 as well.
  Value floor = c(-127.0);
  Value below = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ULT, t, floor);
  t = b.create<arith::SelectOp>(loc, below, floor, t);
  Value n = b.create<math::RoundEvenOp>(loc, t);
  Value f = b.create<arith::SubFOp>(loc, t, n);
  // Minimax coefficients of 2^f on [-1/2, 1/2], highest first.
  const float coefficients[] = {1.32765e-3f, 9.67554e-3f, 5.550713e-2f,
                                2.402212e-1f, 6.9314694e-1f, 1.0f};
  Value poly = c(coefficients[0]);
  for (float k : ArrayRef<float>(coefficients).drop_front())
    poly = b.create<math::FmaOp>(loc, poly, f, c(k));
  Type intType = b.getI32Type();
  if (auto vt = dyn_cast<VectorType>(type))
    intType = VectorType::get(vt.getShape(), intType);
  auto intConstant = [&](int32_t v) { return h.constantLike(b.getI32IntegerAttr(v), type); };
  Value bits = b.create<arith::ShLIOp>(
      loc, b.create<arith::AddIOp>(loc, b.create<arith::FPToSIOp>(loc, intType, n), intConstant(127)),
      intConstant(23));
  return b.create<arith::MulFOp>(loc, poly, b.create<arith::BitcastOp>(loc, type, bits));
}

void TileProduct::emit(LoopBuilder &h) {
  // Tiles of tileRows rows, then the rest in tiles of the powers of two
  // below it (a 6-row tile over 64 rows leaves one 4-row tile, not four
  // single rows that each reload the whole B panel).
  Value lb = h.idx(0);
  for (int64_t tr = tileRows; tr >= 1; tr = tr == tileRows ? llvm::PowerOf2Ceil(tr) / 2 : tr / 2) {
    Value count = h.sub(rows, lb);
    Value ub = h.add(lb, h.mul(h.b.create<arith::DivUIOp>(h.loc, count, h.idx(tr)), h.idx(tr)));
    emitRows(h, lb, ub, tr);
    lb = ub;
  }
}

void TileProduct::emitRows(LoopBuilder &h, Value lb, Value ub, int64_t tr) {
  OpBuilder &b = h.b;
  Location loc = h.loc;
  auto vt = VectorType::get({vw}, b.getF32Type());
  h.loop(lb, ub, tr, [&](Value r0) {
    h.loop(h.idx(0), h.idx(width), 2 * vw, [&](Value c0) {
      OpBuilder::InsertionGuard guard(b);
      if (live) {
        auto needed = b.create<scf::IfOp>(loc, live(b, r0, tr, c0), /*withElseRegion=*/false);
        b.setInsertionPointToStart(needed.thenBlock());
      }
      auto [kLo, kHi] = depthRange ? depthRange(b, c0) : std::make_pair(h.idx(0), depth);
      Value c1 = h.add(c0, h.idx(vw));
      SmallVector<Value> accs;
      for (int64_t r = 0; r < tr; ++r) {
        Value row = h.add(r0, h.idx(r));
        accs.push_back(init(b, row, c0));
        accs.push_back(init(b, row, c1));
      }
      auto kLoop = b.create<scf::ForOp>(
          loc, kLo, kHi, h.idx(1), accs,
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

} // namespace attnc::lowering
