//===- KernelBuilder.h - Building blocks of the CPU kernels -----*- C++ -*-===//
//
// The vocabulary in which the CPU's kernels are written (the attention's
// online-softmax loop nest, LowerAttention/; the contractions' GEMM,
// LowerContractions/): index and f32 arithmetic, loads, stores, loops
// and branches (LoopBuilder); copies of a
// region's computation (cloneRegion, cloneSlice); the register-tiled inner
// product (TileProduct); the softmax's exp.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_BACKENDS_CPU_KERNELBUILDER_H
#define ATTNC_BACKENDS_CPU_KERNELBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include "attnc/Dialect/Attn/Analysis/AttentionForms.h"

namespace attnc::lowering {
// The MLIR names this kernel's code is written in.
using mlir::ArrayRef;
using mlir::Block;
using mlir::BlockArgument;
using mlir::DenseElementsAttr;
using mlir::function_ref;
using mlir::IRMapping;
using mlir::Location;
using mlir::MemRefType;
using mlir::OpBuilder;
using mlir::Operation;
using mlir::Region;
using mlir::ShapedType;
using mlir::SmallVector;
using mlir::Type;
using mlir::TypedAttr;
using mlir::TypeRange;
using mlir::Value;
using mlir::ValueRange;
using mlir::VectorType;
using llvm::cast;
using llvm::dyn_cast;
using llvm::isa;
namespace arith = mlir::arith;
namespace memref = mlir::memref;
namespace scf = mlir::scf;
namespace vector = mlir::vector;

/// Emits through `b` at `loc`; loops and branches keep `b` as the builder
/// of their bodies, so nested code reads like straight-line code.
struct LoopBuilder {
  OpBuilder &b;
  Location loc;
  Value idx(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value f32(double v) {
    return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(static_cast<float>(v)));
  }
  /// The scalar constant `value`, splat to a vector of the shape of `like`
  /// when `like` is a vector type.
  Value constantLike(TypedAttr value, Type like) {
    if (auto vt = dyn_cast<VectorType>(like))
      value = DenseElementsAttr::get(VectorType::get(vt.getShape(), value.getType()), value);
    return b.create<arith::ConstantOp>(loc, value);
  }
  /// The f32 constant v as a value of `type`: f32, or a vector of f32.
  Value f32Like(double v, Type type) {
    return constantLike(b.getF32FloatAttr(static_cast<float>(v)), type);
  }
  Value add(Value x, Value y) { return b.create<arith::AddIOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubIOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulIOp>(loc, x, y); }
  Value min(Value x, Value y) { return b.create<arith::MinSIOp>(loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) { return b.create<arith::CmpIOp>(loc, p, x, y); }
  Value ceilDiv(Value x, Value y) { return b.create<arith::CeilDivSIOp>(loc, x, y); }
  Value logicalNot(Value x) {
    return b.create<arith::XOrIOp>(loc, x, b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
  }
  Value load(Value m, ValueRange i) { return b.create<memref::LoadOp>(loc, m, i); }
  void store(Value v, Value m, ValueRange i) { b.create<memref::StoreOp>(loc, v, m, i); }
  /// `width` contiguous f32 from m[i...] on.
  Value vload(int64_t width, Value m, ValueRange i) {
    return b.create<vector::LoadOp>(loc, VectorType::get({width}, b.getF32Type()), m, i);
  }
  void vstore(Value v, Value m, ValueRange i) { b.create<vector::StoreOp>(loc, v, m, i); }

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

  /// for (iv = lb; iv < ub; iv += step) carried = body(iv, carried), from
  /// `init`; the last values carried.
  mlir::ResultRange loopCarrying(Value lb, Value ub, int64_t step, ValueRange init,
                                 function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return b
        .create<scf::ForOp>(loc, lb, ub, idx(step), init,
                            [&](OpBuilder &nb, Location, Value iv, ValueRange carried) {
                              OpBuilder::InsertionGuard g(b);
                              b.setInsertionPoint(nb.getInsertionBlock(),
                                                  nb.getInsertionPoint());
                              b.create<scf::YieldOp>(loc, body(iv, carried));
                            })
        .getResults();
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

using attn::dependsOnlyOn;

/// The buffer a kernel writes its result `result` (of `extents`) into:
/// the model's output itself when the result only goes there (the runtime
/// guarantees that outputs do not overlap inputs; `destination` is then the
/// op to erase), else a new 64-byte-aligned one.
struct ResultBuffer {
  Value buffer;
  mlir::bufferization::MaterializeInDestinationOp destination;
};
ResultBuffer resultBuffer(LoopBuilder &h, Value result, ValueRange extents);

/// Clones the ops of `block` (but `skip`) under `map` and returns the
/// yielded value.
Value cloneRegion(OpBuilder &b, Block &block, IRMapping &map, Operation *skip = nullptr);

/// Clones the computation of a value that depends only on mapped block
/// arguments and values from outside the region.
Value cloneSlice(OpBuilder &b, Value v, IRMapping &map, Region &region);

/// exp(x) for x <= 0 (f32 or a vector of f32), as the online softmax needs
/// it (x = score - running max): 2^n * 2^f with t = x log2(e), n = round(t)
/// and f = t - n in [-1/2, 1/2], 2^f by a degree-5 polynomial (relative
/// error below 3e-7, and exactly 1 at 0, so that a single key weighs exactly
/// 1) and 2^n built in the exponent bits. t is first raised to -127, where
/// 2^n is exactly 0: exp(-inf), and anything below 2^-126, is 0 with no
/// denormals. NaN gives 0 too: the softmax makes a row whose maximum is NaN
/// NaN as a whole, once per row rather than per score. About 15 vector
/// operations against math.exp's 23, which must also handle overflow: the
/// softmax spends most of its time here.
Value expNonPositive(LoopBuilder &h, Value x);

/// `width` elements of `m` from m[i...] on along its last axis, as a vector
/// of its element type; the lanes at and after `count` are 0 and are not
/// read.
Value maskedLoad(LoopBuilder &h, Value m, ValueRange i, Value count, int64_t width);
/// Stores the lanes of the f32 vector `x` before `count` into m[i...] on
/// along its last axis, rounded to m's element type (f32, f16 or bf16) to
/// nearest even.
void storeRow(LoopBuilder &h, Value x, Value m, ValueRange i, Value count);

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
  /// Optional: whether the tile of rows [r0, r0 + tr) and columns
  /// [c0, c0 + 2 vw) is needed (i1); a tile that is not is left unwritten.
  function_ref<Value(OpBuilder &, Value r0, int64_t tr, Value c0)> live = nullptr;
  /// Optional: the part [lo, hi) of the depth that can contribute to the
  /// columns [c0, c0 + 2 vw) (B is 0 there elsewhere); else [0, depth).
  function_ref<std::pair<Value, Value>(OpBuilder &, Value c0)> depthRange = nullptr;

  void emit(LoopBuilder &h);

private:
  void emitRows(LoopBuilder &h, Value lb, Value ub, int64_t tr);
};

} // namespace attnc::lowering

#endif
