//===- ConvertAttnToLinalg.cpp - attn ops to linalg, tensor, scf, arith ----===//
//
// Each pattern replaces one attn op by linalg/tensor/scf/arith/math ops and
// nothing else, so the patterns compose in any order: a comprehension's body
// is cloned into its linalg.generic still made of attn ops, which the scalar
// patterns then lower in place.
//
//===----------------------------------------------------------------------===//

#include "attnc/Conversion/Passes.h"
#include "attnc/Dialect/Attn/IR/Attn.h"
#include "attnc/Dialect/Attn/IR/ScalarSemantics.h"

#include "ScalarOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attnc {
#define GEN_PASS_DEF_CONVERTATTNTOLINALG
#include "attnc/Conversion/Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;
using namespace attnc::attn;

namespace {

using utils::IteratorType;
using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

//===----------------------------------------------------------------------===//
// Helpers shared by the patterns
//===----------------------------------------------------------------------===//

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return b.create<arith::ConstantIndexOp>(loc, v);
}

/// The extents of a tensor as index values (constants where static).
SmallVector<Value> extentsOf(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> out;
  for (int64_t i = 0; i < type.getRank(); ++i)
    out.push_back(type.isDynamicDim(i) ? Value(b.create<tensor::DimOp>(loc, tensor, i))
                                       : indexConst(b, loc, type.getDimSize(i)));
  return out;
}

/// A tensor.empty of `type` whose dynamic extents are taken from `extents`.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type, ValueRange extents) {
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamic.push_back(extents[i]);
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType(), dynamic);
}

/// An output-only linalg.generic: `body` computes the element at the given
/// indices (reading its operands with tensor.extract).
Value generate(OpBuilder &b, Location loc, RankedTensorType type, ValueRange extents,
               BodyFn body) {
  Value init = emptyTensor(b, loc, type, extents);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<IteratorType> iters(type.getRank(), IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{type}, ValueRange{}, ValueRange{init}, ArrayRef<AffineMap>{id}, iters,
      [&](OpBuilder &nb, Location nl, ValueRange) {
        SmallVector<Value> idx;
        for (int64_t i = 0; i < type.getRank(); ++i)
          idx.push_back(nb.create<linalg::IndexOp>(nl, i));
        nb.create<linalg::YieldOp>(nl, body(nb, nl, idx));
      });
  return generic.getResult(0);
}

/// The map that reads an operand of `shape` broadcast against a result of
/// rank `resultRank` (right-aligned; static 1-extents read index 0).
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> shape, ArrayRef<int64_t> resultShape) {
  unsigned offset = resultShape.size() - shape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, e] : llvm::enumerate(shape)) {
    if (e == 1 && resultShape[offset + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, ctx);
}

/// Extents of a broadcast result: each dynamic axis takes the extent of an
/// operand that is not a broadcast 1 there.
SmallVector<Value> broadcastExtents(OpBuilder &b, Location loc, RankedTensorType result,
                                    ValueRange operands) {
  SmallVector<Value> out;
  for (int64_t axis = 0; axis < result.getRank(); ++axis) {
    if (!result.isDynamicDim(axis)) {
      out.push_back(indexConst(b, loc, result.getDimSize(axis)));
      continue;
    }
    Value found;
    for (Value v : operands) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t)
        continue;
      int64_t local = axis - (result.getRank() - t.getRank());
      if (local < 0 || t.getDimSize(local) == 1)
        continue;
      found = t.isDynamicDim(local) ? Value(b.create<tensor::DimOp>(loc, v, local))
                                    : indexConst(b, loc, t.getDimSize(local));
      break;
    }
    out.push_back(found ? found : indexConst(b, loc, 1));
  }
  return out;
}

/// An input of a linalg.generic and the map it is read through.
struct MappedInput {
  Value value;
  AffineMap map;
};

/// A parallel linalg.generic over `result` whose body receives one element per
/// input.
Value mapInputs(OpBuilder &b, Location loc, RankedTensorType result, ValueRange extents,
                ArrayRef<MappedInput> inputs, BodyFn body) {
  SmallVector<Value> tensors;
  SmallVector<AffineMap> maps;
  for (const MappedInput &in : inputs) {
    tensors.push_back(in.value);
    maps.push_back(in.map);
  }
  maps.push_back(b.getMultiDimIdentityMap(result.getRank()));
  Value init = emptyTensor(b, loc, result, extents);
  SmallVector<IteratorType> iters(result.getRank(), IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{result}, tensors, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        nb.create<linalg::YieldOp>(nl, body(nb, nl, args.drop_back()));
      });
  return generic.getResult(0);
}

/// The map reading a tensor whose `axis` was reduced away, from a loop nest
/// over the unreduced shape.
AffineMap dropAxisMap(MLIRContext *ctx, int64_t rank, int64_t axis) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// An element-wise linalg.generic with NumPy broadcasting: tensor operands
/// are inputs, scalar operands are passed to the body as they are.
Value mapElementwise(OpBuilder &b, Location loc, RankedTensorType result, ValueRange operands,
                     BodyFn body) {
  SmallVector<MappedInput> inputs;
  for (Value v : operands)
    if (auto t = dyn_cast<RankedTensorType>(v.getType()))
      inputs.push_back({v, broadcastMap(b.getContext(), t.getShape(), result.getShape())});
  return mapInputs(b, loc, result, broadcastExtents(b, loc, result, operands), inputs,
                   [&](OpBuilder &nb, Location nl, ValueRange args) {
                     SmallVector<Value> elems;
                     unsigned next = 0;
                     for (Value v : operands)
                       elems.push_back(isa<RankedTensorType>(v.getType()) ? args[next++] : v);
                     return body(nb, nl, elems);
                   });
}

/// Reduces `input` over `axes` (sorted) with the attn reduction `kind`; a
/// mean is left as a sum (callers divide).
Value reduceAxes(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes, ReduceKind kind,
                 Type accType, bool reassociate) {
  auto inType = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> outShape;
  SmallVector<Value> outExtents;
  SmallVector<AffineExpr> outExprs;
  SmallVector<IteratorType> iters;
  SmallVector<Value> inExtents = extentsOf(b, loc, input);
  for (int64_t i = 0; i < inType.getRank(); ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iters.push_back(reduced ? IteratorType::reduction : IteratorType::parallel);
    if (!reduced) {
      outShape.push_back(inType.getDimSize(i));
      outExtents.push_back(inExtents[i]);
      outExprs.push_back(b.getAffineDimExpr(i));
    }
  }
  auto outType = RankedTensorType::get(outShape, accType);
  Value init = emptyTensor(b, loc, outType, outExtents);
  Value identity = reductionIdentity(b, loc, static_cast<int>(kind), accType);
  init = b.create<linalg::FillOp>(loc, identity, init).getResult(0);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(inType.getRank()),
      AffineMap::get(inType.getRank(), 0, outExprs, b.getContext())};
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{outType}, ValueRange{input}, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value v = scalar::cast(nb, nl, args[0], accType);
        nb.create<linalg::YieldOp>(
            nl, reductionCombine(nb, nl, static_cast<int>(kind), args[1], v, reassociate));
      });
  return generic.getResult(0);
}

/// Product of extents as an f32 (the divisor of a mean).
Value countAsFloat(OpBuilder &b, Location loc, ArrayRef<Value> extents) {
  Value n = indexConst(b, loc, 1);
  for (Value e : extents)
    n = b.create<arith::MulIOp>(loc, n, e);
  return scalar::cast(b, loc, n, b.getF32Type());
}

Value f32Const(OpBuilder &b, Location loc, double v) {
  return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(static_cast<float>(v)));
}

/// Reads `tensor` at `idx` where every index is known to be in bounds.
Value extract(OpBuilder &b, Location loc, Value tensor, ValueRange idx) {
  return b.create<tensor::ExtractOp>(loc, tensor, idx);
}

//===----------------------------------------------------------------------===//
// Element-wise ops
//===----------------------------------------------------------------------===//

struct LowerElementwise : OpInterfaceRewritePattern<ElementwiseOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(ElementwiseOpInterface op,
                                PatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    Type resultType = op->getResult(0).getType();
    auto tensorType = dyn_cast<RankedTensorType>(resultType);
    if (!tensorType) {
      rewriter.replaceOp(op, op.buildScalar(rewriter, loc, op->getOperands(), resultType));
      return success();
    }
    Type elem = tensorType.getElementType();
    Value r = mapElementwise(rewriter, loc, tensorType, op->getOperands(),
                             [&](OpBuilder &b, Location l, ValueRange elems) {
                               return op.buildScalar(b, l, elems, elem);
                             });
    rewriter.replaceOp(op, r);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Tensor-level ops
//===----------------------------------------------------------------------===//

struct LowerMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto ta = cast<RankedTensorType>(op.getLhs().getType());
    auto tb = cast<RankedTensorType>(op.getRhs().getType());
    auto tc = cast<RankedTensorType>(op.getResult().getType());
    MLIRContext *ctx = b.getContext();
    bool hasM = ta.getRank() > 1, hasN = tb.getRank() > 1;
    int64_t batch = tc.getRank() - (hasM ? 1 : 0) - (hasN ? 1 : 0);
    // Loop dims: batch..., [m], [n], k.
    int64_t m = batch, n = batch + (hasM ? 1 : 0), k = n + (hasN ? 1 : 0);
    int64_t numLoops = k + 1;
    auto batchExprs = [&](RankedTensorType t, int64_t own) {
      SmallVector<AffineExpr> e;
      int64_t offset = batch - own;
      for (int64_t i = 0; i < own; ++i) {
        bool bcast = t.getDimSize(i) == 1 && tc.getDimSize(offset + i) != 1;
        e.push_back(bcast ? getAffineConstantExpr(0, ctx) : getAffineDimExpr(offset + i, ctx));
      }
      return e;
    };
    SmallVector<AffineExpr> ea = batchExprs(ta, std::max<int64_t>(ta.getRank() - 2, 0));
    if (hasM)
      ea.push_back(getAffineDimExpr(m, ctx));
    ea.push_back(getAffineDimExpr(k, ctx));
    SmallVector<AffineExpr> eb = batchExprs(tb, std::max<int64_t>(tb.getRank() - 2, 0));
    eb.push_back(getAffineDimExpr(k, ctx));
    if (hasN)
      eb.push_back(getAffineDimExpr(n, ctx));
    SmallVector<AffineExpr> ec;
    for (int64_t i = 0; i < k; ++i)
      ec.push_back(getAffineDimExpr(i, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, ea, ctx),
                                   AffineMap::get(numLoops, 0, eb, ctx),
                                   AffineMap::get(numLoops, 0, ec, ctx)};
    SmallVector<IteratorType> iters(numLoops, IteratorType::parallel);
    iters.back() = IteratorType::reduction;

    SmallVector<Value> extents = op.buildResultExtents(b);
    Value init = emptyTensor(b, loc, tc, extents);
    init = b.create<linalg::FillOp>(loc, f32Const(b, loc, 0.0), init).getResult(0);
    auto generic = b.create<linalg::GenericOp>(
        loc, TypeRange{tc}, ValueRange{op.getLhs(), op.getRhs()}, ValueRange{init}, maps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value p = nb.create<arith::MulFOp>(nl, args[0], args[1]);
          nb.create<linalg::YieldOp>(nl, ValueRange{nb.create<arith::AddFOp>(nl, args[2], p)});
        });
    b.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LowerTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> inExt = extentsOf(b, loc, op.getInput());
    SmallVector<Value> outExt;
    for (int64_t p : op.getPermutation())
      outExt.push_back(inExt[p]);
    Value init = emptyTensor(b, loc, out, outExt);
    auto t = b.create<linalg::TransposeOp>(loc, op.getInput(), init, op.getPermutation());
    b.replaceOp(op, t.getResult());
    return success();
  }
};

/// The lowering of an op that sums floats: the pass option says whether the
/// sums may be reassociated.
template <typename Op>
struct SumLowering : OpRewritePattern<Op> {
  SumLowering(MLIRContext *ctx, bool reassociate)
      : OpRewritePattern<Op>(ctx), reassociate(reassociate) {}
  bool reassociate;
};

struct LowerReduce : SumLowering<ReduceOp> {
  using SumLowering::SumLowering;
  LogicalResult matchAndRewrite(ReduceOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Type elem = cast<RankedTensorType>(op.getResult().getType()).getElementType();
    Value r = reduceAxes(b, loc, op.getInput(), op.getAxes(), op.getKind(), elem, reassociate);
    if (op.getKind() == ReduceKind::mean) {
      SmallVector<Value> inExt = extentsOf(b, loc, op.getInput()), counted;
      for (int64_t a : op.getAxes())
        counted.push_back(inExt[a]);
      Value n = countAsFloat(b, loc, counted);
      auto type = cast<RankedTensorType>(r.getType());
      r = mapElementwise(b, loc, type, ValueRange{r, n},
                         [](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                           return nb.create<arith::DivFOp>(nl, e[0], e[1]);
                         });
    }
    b.replaceOp(op, r);
    return success();
  }
};

struct LowerSoftmax : SumLowering<SoftmaxOp> {
  using SumLowering::SumLowering;
  LogicalResult matchAndRewrite(SoftmaxOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    int64_t axis = op.getAxis(), rank = type.getRank();
    Type f32 = b.getF32Type();
    SmallVector<Value> ext = extentsOf(b, loc, x);
    AffineMap id = b.getMultiDimIdentityMap(rank);
    AffineMap reduced = dropAxisMap(b.getContext(), rank, axis);
    Value ninf = f32Const(b, loc, -std::numeric_limits<double>::infinity());
    Value zero = f32Const(b, loc, 0.0);
    Value max = reduceAxes(b, loc, x, {axis}, ReduceKind::max, f32, reassociate);
    // A fully masked row has max = -inf: its exponentials are 0, not NaN.
    Value e = mapInputs(b, loc, type, ext, {{x, id}, {max, reduced}},
                        [&](OpBuilder &nb, Location nl, ValueRange v) -> Value {
                          Value masked =
                              nb.create<arith::CmpFOp>(nl, arith::CmpFPredicate::OEQ, v[1], ninf);
                          Value ex =
                              nb.create<math::ExpOp>(nl, nb.create<arith::SubFOp>(nl, v[0], v[1]));
                          return nb.create<arith::SelectOp>(nl, masked, zero, ex);
                        });
    Value sum = reduceAxes(b, loc, e, {axis}, ReduceKind::sum, f32, reassociate);
    Value r = mapInputs(b, loc, type, ext, {{e, id}, {sum, reduced}},
                        [&](OpBuilder &nb, Location nl, ValueRange v) -> Value {
                          Value empty =
                              nb.create<arith::CmpFOp>(nl, arith::CmpFPredicate::OEQ, v[1], zero);
                          Value q = nb.create<arith::DivFOp>(nl, v[0], v[1]);
                          return nb.create<arith::SelectOp>(nl, empty, zero, q);
                        });
    b.replaceOp(op, r);
    return success();
  }
};

/// Shared by layernorm and rmsnorm over the last axis:
/// y = (x - mean?) * rsqrt(mean of squares + eps) * gamma (+ beta).
Value normalize(OpBuilder &b, Location loc, Value x, Value gamma, Value beta, double eps,
                bool center, bool reassociate) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank(), last = rank - 1;
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  SmallVector<Value> ext = extentsOf(b, loc, x);
  AffineMap id = b.getMultiDimIdentityMap(rank);
  AffineMap reduced = dropAxisMap(ctx, rank, last);
  Value n = countAsFloat(b, loc, {ext[last]});
  Value centered = x;
  if (center) {
    Value sum = reduceAxes(b, loc, x, {last}, ReduceKind::sum, f32, reassociate);
    centered = mapInputs(b, loc, type, ext, {{x, id}, {sum, reduced}},
                         [&](OpBuilder &nb, Location nl, ValueRange v) -> Value {
                           Value mean = nb.create<arith::DivFOp>(nl, v[1], n);
                           return nb.create<arith::SubFOp>(nl, v[0], mean);
                         });
  }
  Value sq = mapInputs(b, loc, type, ext, {{centered, id}},
                       [](OpBuilder &nb, Location nl, ValueRange v) -> Value {
                         return nb.create<arith::MulFOp>(nl, v[0], v[0]);
                       });
  Value moment = reduceAxes(b, loc, sq, {last}, ReduceKind::sum, f32, reassociate);
  Value epsV = f32Const(b, loc, eps);
  auto bcast = [&](Value v) {
    return broadcastMap(ctx, cast<RankedTensorType>(v.getType()).getShape(), type.getShape());
  };
  SmallVector<MappedInput> inputs = {{centered, id}, {moment, reduced}, {gamma, bcast(gamma)}};
  if (beta)
    inputs.push_back({beta, bcast(beta)});
  return mapInputs(b, loc, type, ext, inputs, [&](OpBuilder &nb, Location nl, ValueRange v) {
    Value var = nb.create<arith::DivFOp>(nl, v[1], n);
    Value inv = nb.create<math::RsqrtOp>(nl, nb.create<arith::AddFOp>(nl, var, epsV));
    Value y = nb.create<arith::MulFOp>(nl, nb.create<arith::MulFOp>(nl, v[0], inv), v[2]);
    return beta ? Value(nb.create<arith::AddFOp>(nl, y, v[3])) : y;
  });
}

struct LowerLayerNorm : SumLowering<LayerNormOp> {
  using SumLowering::SumLowering;
  LogicalResult matchAndRewrite(LayerNormOp op, PatternRewriter &b) const override {
    b.replaceOp(op, normalize(b, op.getLoc(), op.getInput(), op.getGamma(), op.getBeta(),
                              op.getEps().convertToDouble(), /*center=*/true, reassociate));
    return success();
  }
};

struct LowerRMSNorm : SumLowering<RMSNormOp> {
  using SumLowering::SumLowering;
  LogicalResult matchAndRewrite(RMSNormOp op, PatternRewriter &b) const override {
    b.replaceOp(op, normalize(b, op.getLoc(), op.getInput(), op.getGamma(), Value(),
                              op.getEps().convertToDouble(), /*center=*/false, reassociate));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Data movement: output-only generics that compute the source index
//===----------------------------------------------------------------------===//

struct LowerHeads : OpRewritePattern<HeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(HeadsOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> in = extentsOf(b, loc, op.getInput());
    int64_t r = in.size();
    Value heads = op.getNumHeads();
    Value d = b.create<arith::DivSIOp>(loc, in[r - 1], heads);
    SmallVector<Value> ext(in.begin(), in.end() - 2);
    ext.append({heads, in[r - 2], d});
    Value x = op.getInput();
    b.replaceOp(op, generate(b, loc, out, ext, [&](OpBuilder &nb, Location nl, ValueRange i) {
      // out[..., h, s, e] = x[..., s, h * D + e]
      SmallVector<Value> src(i.drop_back(3));
      Value col = nb.create<arith::AddIOp>(nl, nb.create<arith::MulIOp>(nl, i[r - 2], d), i[r]);
      src.append({i[r - 1], col});
      return extract(nb, nl, x, src);
    }));
    return success();
  }
};

struct LowerUnheads : OpRewritePattern<UnheadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UnheadsOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> in = extentsOf(b, loc, op.getInput());
    int64_t r = in.size();
    Value d = in[r - 1];
    SmallVector<Value> ext(in.begin(), in.end() - 3);
    ext.append({in[r - 2], b.create<arith::MulIOp>(loc, in[r - 3], d)});
    Value x = op.getInput();
    b.replaceOp(op, generate(b, loc, out, ext, [&](OpBuilder &nb, Location nl, ValueRange i) {
      // out[..., s, c] = x[..., c / D, s, c % D]
      SmallVector<Value> src(i.drop_back(2));
      Value c = i[r - 2];
      src.append({nb.create<arith::DivUIOp>(nl, c, d), i[r - 3], nb.create<arith::RemUIOp>(nl, c, d)});
      return extract(nb, nl, x, src);
    }));
    return success();
  }
};

struct LowerReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> in = extentsOf(b, loc, op.getInput());
    SmallVector<Value> ext(op.getExtents());
    Value x = op.getInput();
    b.replaceOp(op, generate(b, loc, out, ext, [&](OpBuilder &nb, Location nl, ValueRange i) {
      // Row-major: linearise the result index, delinearise into the input's.
      Value flat = indexConst(nb, nl, 0);
      for (auto [idx, e] : llvm::zip(i, ext))
        flat = nb.create<arith::AddIOp>(nl, nb.create<arith::MulIOp>(nl, flat, e), idx);
      SmallVector<Value> src(in.size());
      for (int64_t a = in.size() - 1; a >= 0; --a) {
        src[a] = nb.create<arith::RemUIOp>(nl, flat, in[a]);
        flat = nb.create<arith::DivUIOp>(nl, flat, in[a]);
      }
      return extract(nb, nl, x, src);
    }));
    return success();
  }
};

struct LowerConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getResult().getType());
    int64_t axis = op.getAxis();
    SmallVector<Value> ea = extentsOf(b, loc, op.getLhs()), eb = extentsOf(b, loc, op.getRhs());
    SmallVector<Value> ext(ea);
    ext[axis] = b.create<arith::AddIOp>(loc, ea[axis], eb[axis]);
    Value lhs = op.getLhs(), rhs = op.getRhs();
    b.replaceOp(op, generate(b, loc, out, ext, [&](OpBuilder &nb, Location nl, ValueRange i) {
      Value inLhs = nb.create<arith::CmpIOp>(nl, arith::CmpIPredicate::ult, i[axis], ea[axis]);
      auto ifOp = nb.create<scf::IfOp>(
          nl, inLhs,
          [&](OpBuilder &tb, Location tl) {
            tb.create<scf::YieldOp>(tl, extract(tb, tl, lhs, i));
          },
          [&](OpBuilder &fb, Location fl) {
            SmallVector<Value> j(i);
            j[axis] = fb.create<arith::SubIOp>(fl, i[axis], ea[axis]);
            fb.create<scf::YieldOp>(fl, extract(fb, fl, rhs, j));
          });
      return ifOp.getResult(0);
    }));
    return success();
  }
};

struct LowerTopkMask : OpRewritePattern<TopkMaskOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TopkMaskOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> ext = extentsOf(b, loc, op.getInput());
    Value x = op.getInput(), k = op.getK();
    int64_t last = type.getRank() - 1;
    Value ninf = f32Const(b, loc, -std::numeric_limits<double>::infinity());
    b.replaceOp(op, generate(b, loc, type, ext, [&](OpBuilder &nb, Location nl, ValueRange i) {
      // Keep x[..., j] when fewer than K entries rank before it: larger, or
      // equal with a lower index.
      Value xj = extract(nb, nl, x, i);
      Value zero = indexConst(nb, nl, 0), one = indexConst(nb, nl, 1);
      auto loop = nb.create<scf::ForOp>(
          nl, zero, ext[last], one, ValueRange{zero},
          [&](OpBuilder &lb, Location ll, Value kk, ValueRange acc) {
            SmallVector<Value> idx(i);
            idx[last] = kk;
            Value xk = extract(lb, ll, x, idx);
            Value gt = lb.create<arith::CmpFOp>(ll, arith::CmpFPredicate::OGT, xk, xj);
            Value eq = lb.create<arith::CmpFOp>(ll, arith::CmpFPredicate::OEQ, xk, xj);
            Value before = lb.create<arith::CmpIOp>(ll, arith::CmpIPredicate::ult, kk, i[last]);
            Value ranks = lb.create<arith::OrIOp>(ll, gt, lb.create<arith::AndIOp>(ll, eq, before));
            Value inc = lb.create<arith::SelectOp>(ll, ranks, one, zero);
            lb.create<scf::YieldOp>(ll, ValueRange{lb.create<arith::AddIOp>(ll, acc[0], inc)});
          });
      Value keep = nb.create<arith::CmpIOp>(nl, arith::CmpIPredicate::slt, loop.getResult(0), k);
      return nb.create<arith::SelectOp>(nl, keep, xj, ninf);
    }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Element-level definitions
//===----------------------------------------------------------------------===//

/// Clones the single-block `region` at the builder's insertion point with its
/// arguments bound to `args`, and returns the yielded value.
Value inlineBody(OpBuilder &b, Region &region, ValueRange args) {
  Block &block = region.front();
  IRMapping map;
  map.map(block.getArguments(), args);
  for (Operation &o : block.without_terminator())
    b.clone(o, map);
  return map.lookupOrDefault(cast<YieldOp>(block.getTerminator()).getValue());
}

struct LowerComprehension : OpRewritePattern<ComprehensionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ComprehensionOp op, PatternRewriter &b) const override {
    auto type = cast<RankedTensorType>(op.getResult().getType());
    Value r = generate(b, op.getLoc(), type, op.getExtents(),
                       [&](OpBuilder &nb, Location, ValueRange idx) {
                         return inlineBody(nb, op.getBody(), idx);
                       });
    b.replaceOp(op, r);
    return success();
  }
};

struct LowerIndexReduce : SumLowering<IndexReduceOp> {
  using SumLowering::SumLowering;
  LogicalResult matchAndRewrite(IndexReduceOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Type type = op.getResult().getType();
    int kind = static_cast<int>(op.getKind());
    SmallVector<Value> lbs(op.getExtents().size(), indexConst(b, loc, 0));
    SmallVector<Value> steps(op.getExtents().size(), indexConst(b, loc, 1));
    Value init = reductionIdentity(b, loc, kind, type);
    scf::LoopNest nest = scf::buildLoopNest(
        b, loc, lbs, op.getExtents(), steps, ValueRange{init},
        [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange acc) -> scf::ValueVector {
          Value v = inlineBody(nb, op.getBody(), ivs);
          return {reductionCombine(nb, nl, kind, acc[0], v, reassociate)};
        });
    Value r = nest.results[0];
    if (op.getKind() == ReduceKind::mean) {
      SmallVector<Value> ext(op.getExtents());
      r = b.create<arith::DivFOp>(loc, r, countAsFloat(b, loc, ext));
    }
    b.replaceOp(op, r);
    return success();
  }
};

/// Zero padding: reads outside the bounds give 0.
struct LowerRead : OpRewritePattern<ReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReadOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    if (op.getInBounds()) {
      b.replaceOp(op, extract(b, loc, op.getTensor(), op.getIndices()));
      return success();
    }
    SmallVector<Value> ext = extentsOf(b, loc, op.getTensor());
    Value inBounds = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
    for (auto [i, e] : llvm::zip(op.getIndices(), ext)) {
      // One unsigned comparison checks 0 <= i < e.
      Value ok = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, i, e);
      inBounds = b.create<arith::AndIOp>(loc, inBounds, ok);
    }
    Type elem = op.getResult().getType();
    Value tensor = op.getTensor();
    SmallVector<Value> idx(op.getIndices());
    auto ifOp = b.create<scf::IfOp>(
        loc, inBounds,
        [&](OpBuilder &tb, Location tl) { tb.create<scf::YieldOp>(tl, extract(tb, tl, tensor, idx)); },
        [&](OpBuilder &fb, Location fl) {
          fb.create<scf::YieldOp>(fl, reductionIdentity(fb, fl, static_cast<int>(ReduceKind::sum), elem));
        });
    b.replaceOp(op, ifOp.getResult(0));
    return success();
  }
};

struct ConvertAttnToLinalgPass
    : attnc::impl::ConvertAttnToLinalgBase<ConvertAttnToLinalgPass> {
  using ConvertAttnToLinalgBase::ConvertAttnToLinalgBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerElementwise, LowerMatmul, LowerTranspose, LowerHeads, LowerUnheads,
                 LowerReshape, LowerConcat, LowerTopkMask, LowerComprehension, LowerRead>(
        &getContext());
    patterns.add<LowerReduce, LowerSoftmax, LowerLayerNorm, LowerRMSNorm, LowerIndexReduce>(
        &getContext(), reassociateReductions);
    GreedyRewriteConfig config;
    config.maxIterations = GreedyRewriteConfig::kNoLimit;
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns), config);
    // Every attn op but attn.attention has a pattern; one left over is a bug
    // worth a clear error. (WalkOrder::PreOrder: the attention op, not the
    // ops of its regions, is reported.)
    WalkResult leftover = getOperation()->walk<WalkOrder::PreOrder>([](Operation *op) {
      if (isa<AttentionOp>(op)) {
        op->emitError("attn.attention is lowered by the backend before this pass (on the "
                      "CPU: attnc-cpu-lower-attention)");
        return WalkResult::interrupt();
      }
      if (isa<AttnDialect>(op->getDialect())) {
        op->emitError("attn op was not lowered: ") << op->getName();
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
