//===- KernelBuilder.cpp - Building blocks of the attention kernel --------===//

#include "KernelBuilder.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

namespace attnc::lowering {

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

Value expNonPositive(LoopBuilder &h, Value x) {
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


void TileProduct::emit(LoopBuilder &h) {
  Value full = h.mul(h.b.create<arith::DivUIOp>(h.loc, rows, h.idx(tileRows)), h.idx(tileRows));
  emitRows(h, h.idx(0), full, tileRows);
  emitRows(h, full, rows, 1);
}

void TileProduct::emitRows(LoopBuilder &h, Value lb, Value ub, int64_t tr) {
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

} // namespace attnc::lowering
