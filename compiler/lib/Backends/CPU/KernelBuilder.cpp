//===- KernelBuilder.cpp - Building blocks of the CPU kernels -------------===//

#include "KernelBuilder.h"

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
      h.loc, MemRefType::get(type.getShape(), h.b.getF32Type()), dynamic,
      h.b.getI64IntegerAttr(64));
  return {buffer, nullptr};
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
