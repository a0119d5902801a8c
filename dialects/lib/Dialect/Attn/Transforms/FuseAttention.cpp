//===- FuseAttention.cpp - Form attn.attention from softmax chains --------===//
//
// The anchor is the weighted sum: `attn.matmul(softmax(X), V)` or a
// comprehension `c[.., i, d] = sum(j: w[.., i, j] * v(.., j, d))` with
// `w = softmax(X)`. The score region is X computed for one (batch, i, j):
// each producer of X (element-wise ops, comprehensions, matmul, transpose)
// is inlined element by element, so only the model's leaves (inputs, and
// values that are not element-wise in the score's indices) are still read.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>
#include <map>
#include <optional>

namespace attnc::attn {
#define GEN_PASS_DEF_FUSEATTENTION
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attnc::attn

using namespace mlir;
using namespace attnc::attn;

namespace {

/// The scalar type an element of a tensor has inside a region.
Type scalarTypeOf(Type elem) {
  if (elem.isInteger(64) || elem.isInteger(32))
    return IndexType::get(elem.getContext());
  return elem;
}

bool isComputeElement(Type t) {
  return t.isF32() || t.isInteger(64) || t.isInteger(32) || t.isInteger(1);
}

/// Whether the comprehension sums or reduces over an index of its own.
bool reduces(ComprehensionOp comp) {
  return comp.getBody().walk([](IndexReduceOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

/// Emits, inside a region under construction, the element of a tensor at
/// given indices by inlining the tensor's producers.
///
/// Two rules keep the inlined code as cheap as the attention it feeds. An
/// element is built once per (tensor, indices) and reused, so a value used
/// twice (`a * 0.5 + a`) is not computed twice, and a chain of such lets does
/// not grow exponentially. And at most one contraction (a matmul, a
/// comprehension that reduces) is inlined per element: the score's own
/// `q @ k.T`. A contraction inside it (a projection `x @ wq`) is read from
/// its materialised tensor, computed once, rather than once per (i, j).
class ElementInliner {
public:
  /// `insideContraction`: the element is already summed over (the value of
  /// a weighted sum), so no contraction may be inlined into it.
  explicit ElementInliner(OpBuilder &b, bool insideContraction = false)
      : b(b), contractions(insideContraction ? 1 : 0) {
    built.emplace_back();
  }

  Value element(Value tensor, ArrayRef<Value> indices) {
    ElementKey key = {tensor.getAsOpaquePointer()};
    for (Value i : indices)
      key.push_back(i.getAsOpaquePointer());
    for (const auto &scope : llvm::reverse(built))
      if (auto it = scope.find(key); it != scope.end())
        return it->second;
    Value v = build(tensor, indices);
    built.back().emplace(std::move(key), v);
    return v;
  }

private:
  OpBuilder &b;
  /// How many contractions enclose the element being built.
  int contractions;
  /// A tensor and the indices of one of its elements.
  using ElementKey = SmallVector<const void *, 5>;
  /// The elements built so far, one scope per block being filled: those of
  /// an inlined matmul's body are not visible after it.
  SmallVector<std::map<ElementKey, Value>> built;

  Value build(Value tensor, ArrayRef<Value> indices) {
    Operation *def = tensor.getDefiningOp();
    auto type = cast<RankedTensorType>(tensor.getType());
    if (def && isa<ElementwiseOpInterface>(def) && allComputeOperands(def))
      return elementwise(def, type, indices);
    if (auto mm = dyn_cast_or_null<MatmulOp>(def))
      if (contractions == 0 && cast<RankedTensorType>(mm.getLhs().getType()).getRank() >= 2 &&
          cast<RankedTensorType>(mm.getRhs().getType()).getRank() >= 2)
        return matmul(mm, indices);
    if (auto tr = dyn_cast_or_null<TransposeOp>(def)) {
      SmallVector<Value> src(indices.size());
      for (auto [i, p] : llvm::enumerate(tr.getPermutation()))
        src[p] = indices[i];
      return element(tr.getInput(), src);
    }
    if (auto comp = dyn_cast_or_null<ComprehensionOp>(def))
      if (contractions == 0 || !reduces(comp))
        return comprehension(comp, indices);
    return leaf(tensor, indices);
  }

  static bool allComputeOperands(Operation *op) {
    for (Value v : op->getOperands())
      if (auto t = dyn_cast<RankedTensorType>(v.getType()))
        if (!isComputeElement(t.getElementType()))
          return false;
    return true;
  }

  /// The indices of a broadcast operand: right-aligned, 0 on a static 1.
  SmallVector<Value> broadcastIndices(RankedTensorType operand, RankedTensorType result,
                                      ArrayRef<Value> indices, Location loc) {
    SmallVector<Value> out;
    int64_t offset = result.getRank() - operand.getRank();
    for (int64_t a = 0; a < operand.getRank(); ++a) {
      bool bcast = operand.getDimSize(a) == 1 && result.getDimSize(offset + a) != 1;
      out.push_back(bcast ? b.create<arith::ConstantIndexOp>(loc, 0).getResult()
                          : indices[offset + a]);
    }
    return out;
  }

  Value elementwise(Operation *op, RankedTensorType type, ArrayRef<Value> indices) {
    SmallVector<Value> operands;
    for (Value v : op->getOperands()) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      operands.push_back(t ? element(v, broadcastIndices(t, type, indices, op->getLoc())) : v);
    }
    OperationState state(op->getLoc(), op->getName());
    state.addOperands(operands);
    state.addTypes(scalarTypeOf(type.getElementType()));
    state.addAttributes(op->getAttrs());
    return b.create(state)->getResult(0);
  }

  Value matmul(MatmulOp mm, ArrayRef<Value> indices) {
    Location loc = mm.getLoc();
    auto ta = cast<RankedTensorType>(mm.getLhs().getType());
    auto tb = cast<RankedTensorType>(mm.getRhs().getType());
    auto tc = cast<RankedTensorType>(mm.getResult().getType());
    int64_t batch = tc.getRank() - 2;
    Value k = ta.isDynamicDim(ta.getRank() - 1)
                  ? b.create<tensor::DimOp>(loc, mm.getLhs(), ta.getRank() - 1).getResult()
                  : b.create<arith::ConstantIndexOp>(loc, ta.getDimSize(ta.getRank() - 1))
                        .getResult();
    auto reduce = b.create<IndexReduceOp>(loc, b.getF32Type(), ReduceKind::sum, ValueRange{k});
    OpBuilder::InsertionGuard guard(b);
    Block *body = b.createBlock(&reduce.getBody());
    Value kk = body->addArgument(b.getIndexType(), loc);
    auto operandIndices = [&](RankedTensorType t, Value row, Value col) {
      SmallVector<Value> idx;
      int64_t own = t.getRank() - 2, offset = batch - own;
      for (int64_t a = 0; a < own; ++a) {
        bool bcast = t.getDimSize(a) == 1 && tc.getDimSize(offset + a) != 1;
        idx.push_back(bcast ? b.create<arith::ConstantIndexOp>(loc, 0).getResult()
                            : indices[offset + a]);
      }
      idx.append({row, col});
      return idx;
    };
    ++contractions;
    built.emplace_back();
    Value a = element(mm.getLhs(), operandIndices(ta, indices[batch], kk));
    Value c = element(mm.getRhs(), operandIndices(tb, kk, indices[batch + 1]));
    built.pop_back();
    --contractions;
    Value p = b.create<MulOp>(loc, b.getF32Type(), a, c);
    b.create<YieldOp>(loc, p);
    return reduce.getResult();
  }

  /// Clones the comprehension's body at `indices`; its reads at exactly its
  /// own indices are in bounds (the checker inferred the extents from such
  /// plain uses), so they are inlined in turn. (Those reads are outside any
  /// reduction of the body, which is cloned with its own reads.)
  Value comprehension(ComprehensionOp comp, ArrayRef<Value> indices) {
    Block &block = comp.getBody().front();
    IRMapping map;
    map.map(block.getArguments(), indices);
    for (Operation &op : block.without_terminator()) {
      auto read = dyn_cast<ReadOp>(op);
      if (read && llvm::all_of(read.getIndices(), [&](Value v) {
            auto arg = dyn_cast<BlockArgument>(v);
            return arg && arg.getOwner() == &block;
          })) {
        SmallVector<Value> idx;
        for (Value v : read.getIndices())
          idx.push_back(map.lookup(v));
        map.map(read.getResult(), element(read.getTensor(), idx));
        continue;
      }
      b.clone(op, map);
    }
    return map.lookup(cast<YieldOp>(block.getTerminator()).getValue());
  }

  Value leaf(Value tensor, ArrayRef<Value> indices) {
    auto read = b.create<ReadOp>(tensor.getLoc(), tensor, indices);
    read.setInBounds(true);
    Value v = read.getResult();
    if (v.getType().isInteger(64) || v.getType().isInteger(32))
      v = b.create<ConvertOp>(tensor.getLoc(), b.getIndexType(), v);
    return v;
  }
};

/// The extent of `tensor` along `axis` from values that stay alive after
/// fusion (the producers of the score are about to become dead).
Value reifyExtent(OpBuilder &b, Location loc, Value tensor, int64_t axis) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(axis))
    return b.create<arith::ConstantIndexOp>(loc, type.getDimSize(axis));
  Operation *def = tensor.getDefiningOp();
  if (def && isa<ElementwiseOpInterface>(def)) {
    for (Value v : def->getOperands()) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      int64_t local = axis - (type.getRank() - (t ? t.getRank() : 0));
      if (t && local >= 0 && t.getDimSize(local) != 1)
        return reifyExtent(b, loc, v, local);
    }
  }
  if (auto mm = dyn_cast_or_null<MatmulOp>(def)) {
    auto ta = cast<RankedTensorType>(mm.getLhs().getType());
    auto tb = cast<RankedTensorType>(mm.getRhs().getType());
    if (ta.getRank() >= 2 && tb.getRank() >= 2) {
      if (axis == type.getRank() - 1)
        return reifyExtent(b, loc, mm.getRhs(), tb.getRank() - 1);
      if (axis == type.getRank() - 2)
        return reifyExtent(b, loc, mm.getLhs(), ta.getRank() - 2);
      int64_t la = axis - (type.getRank() - ta.getRank());
      if (la >= 0 && ta.getDimSize(la) != 1)
        return reifyExtent(b, loc, mm.getLhs(), la);
      return reifyExtent(b, loc, mm.getRhs(), axis - (type.getRank() - tb.getRank()));
    }
  }
  if (auto tr = dyn_cast_or_null<TransposeOp>(def))
    return reifyExtent(b, loc, tr.getInput(), tr.getPermutation()[axis]);
  if (auto comp = dyn_cast_or_null<ComprehensionOp>(def))
    return comp.getExtents()[axis];
  if (auto sm = dyn_cast_or_null<SoftmaxOp>(def))
    return reifyExtent(b, loc, sm.getInput(), axis);
  return b.create<tensor::DimOp>(loc, tensor, axis);
}

/// `-inf`, as MLIRGen writes it (`-inf` is the negation of `inf`).
bool isNegativeInfinity(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto c = dyn_cast_or_null<arith::ConstantOp>(def))
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      return f.getValue().isInfinity() && f.getValue().isNegative();
  if (auto neg = dyn_cast_or_null<NegOp>(def))
    if (auto c = neg.getInput().getDefiningOp<arith::ConstantOp>())
      if (auto f = dyn_cast<FloatAttr>(c.getValue()))
        return f.getValue().isInfinity() && !f.getValue().isNegative();
  if (auto conv = dyn_cast_or_null<ConvertOp>(def))
    return isNegativeInfinity(conv.getInput());
  return false;
}

/// `0.0` (or `-0.0`), possibly converted: the weight a masked key takes in
/// unnormalised attention, `where(keep, sigmoid(s), 0.0)`.
bool isZero(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto c = dyn_cast_or_null<arith::ConstantOp>(def)) {
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      return f.getValue().isZero();
    if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
      return i.getValue().isZero();
  }
  if (auto conv = dyn_cast_or_null<ConvertOp>(def))
    return isZero(conv.getInput());
  return false;
}

/// Erases the region's operations whose results are unused, last first.
void eraseDeadOps(RewriterBase &rewriter, Region &region) {
  SmallVector<Operation *> ops;
  for (Operation &op : region.front().without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty() && isMemoryEffectFree(op))
      rewriter.eraseOp(op);
}

/// A chain found by the matcher, before any IR is changed.
struct Chain {
  Operation *anchor = nullptr;     // the matmul or comprehension to replace
  SoftmaxOp softmax;               // the weights' softmax, or
  Value weights;                   // unnormalised weights (sigmoid(score))
  // The value element at (batch..., j, d), built into the value region.
  std::function<Value(OpBuilder &, ArrayRef<Value>)> value;
  Value valueWidth;                // D, when known as a live value
  Value valueTensorForWidth;       // else: reify D from this tensor's last axis
  // The weights have no query axis ([batch..., T], one decoder step): the
  // attention has a single query and its result is reshaped.
  bool singleQuery = false;
  // The values are one number per key (`w @ ys` with ys [T], or
  // `sum(j: w[.., i, j] * ys[.., j])`): the attention has D = 1 and its
  // result is reshaped.
  bool vectorValue = false;
};

struct FuseAttentionPass : attnc::attn::impl::FuseAttentionBase<FuseAttentionPass> {
  using FuseAttentionBase::FuseAttentionBase;

  /// Why a softmax was not fused, or std::nullopt when it was.
  std::optional<std::string> match(SoftmaxOp sm, Chain &chain) {
    auto type = cast<RankedTensorType>(sm.getResult().getType());
    if (type.getRank() < 2)
      return std::string("the softmax is over a vector, so there is no query axis");
    if (sm.getAxis() != type.getRank() - 1)
      return std::string("the softmax is not over the last axis");
    if (!sm.getResult().hasOneUse())
      return std::string("the attention weights have other uses, so they must be materialised");
    Operation *user = *sm.getResult().getUsers().begin();
    chain.softmax = sm;

    if (auto mm = dyn_cast<MatmulOp>(user)) {
      if (mm.getLhs() != sm.getResult())
        return std::string("the weights are the right operand of '@'");
      return matchProduct(mm, type, chain);
    }

    auto read = dyn_cast<ReadOp>(user);
    if (!read)
      return std::string("the weights are not multiplied by values ('@ v' or "
                         "'sum(j: w[.., i, j] * v[.., j, d])')");
    return matchComprehension(read, type, chain);
  }

  /// `w @ v`, w the weights of type `type`.
  std::optional<std::string> matchProduct(MatmulOp mm, RankedTensorType type, Chain &chain) {
    auto tv = cast<RankedTensorType>(mm.getRhs().getType());
    auto tc = cast<RankedTensorType>(mm.getResult().getType());
    if (tv.getRank() < 2) {
      // [batch.., S, T] @ [T] -> [batch.., S]: one value per key.
      chain.anchor = mm;
      chain.vectorValue = true;
      chain.value = [v = mm.getRhs()](OpBuilder &b, ArrayRef<Value> args) {
        // args: batch..., j, d (d is 0).
        return ElementInliner(b, /*insideContraction=*/true).element(v, {args.end()[-2]});
      };
      return std::nullopt;
    }
    if (tc.getRank() != type.getRank())
      return std::string("the values have more batch axes than the weights");
    for (int64_t a = 0; a < type.getRank() - 2; ++a)
      if (type.getDimSize(a) == 1 && tc.getDimSize(a) != 1)
        return std::string("the weights are broadcast against the values' batch axes");
    Value v = mm.getRhs();
    int64_t batch = tc.getRank() - 2;
    chain.anchor = mm;
    chain.valueTensorForWidth = v;
    chain.value = [v, tv, tc, batch](OpBuilder &b, ArrayRef<Value> args) {
      // args: batch..., j, d. V's own batch axes are right-aligned.
      SmallVector<Value> idx;
      int64_t own = tv.getRank() - 2, offset = batch - own;
      for (int64_t a = 0; a < own; ++a) {
        bool bcast = tv.getDimSize(a) == 1 && tc.getDimSize(offset + a) != 1;
        idx.push_back(bcast ? b.create<arith::ConstantIndexOp>(v.getLoc(), 0).getResult()
                            : args[offset + a]);
      }
      idx.append({args[batch], args[batch + 1]});
      return ElementInliner(b, /*insideContraction=*/true).element(v, idx);
    };
    return std::nullopt;
  }

  /// `c[batch.., i, d] = sum(j: w[batch.., i, j] * value(batch.., j, d))`.
  std::optional<std::string> matchComprehension(ReadOp read, RankedTensorType wType,
                                                Chain &chain) {
    const std::string notSum = "the weights are read by a comprehension that is not "
                               "'sum(j: w[.., i, j] * v[.., j, d])'";
    auto reduce = dyn_cast<IndexReduceOp>(read->getParentOp());
    if (!reduce || reduce.getKind() != ReduceKind::sum || reduce.getExtents().size() != 1)
      return notSum;
    auto comp = dyn_cast<ComprehensionOp>(reduce->getParentOp());
    if (!comp)
      return notSum;
    Block &cb = comp.getBody().front();
    Block &rb = reduce.getBody().front();
    auto yield = cast<YieldOp>(cb.getTerminator());
    if (yield.getValue() != reduce.getResult())
      return notSum;
    int64_t rank = wType.getRank();
    // c[batch.., i] = sum(j: w[batch.., i, j] * v[batch.., j]): one value per key.
    bool vectorValue = rank >= 2 && static_cast<int64_t>(cb.getNumArguments()) == rank - 1;
    if (!vectorValue && static_cast<int64_t>(cb.getNumArguments()) != rank)
      return std::string("the weighted sum has a different rank from the weights");
    // w is read at (batch.., i, j) with j the bound index.
    for (int64_t a = 0; a < rank - 1; ++a)
      if (read.getIndices()[a] != cb.getArgument(a))
        return std::string("the weights are not read at the comprehension's own indices");
    if (read.getIndices()[rank - 1] != rb.getArgument(0))
      return std::string("the weights are not read at the summed index");
    auto product = dyn_cast_or_null<MulOp>(cast<YieldOp>(rb.getTerminator()).getValue().getDefiningOp());
    if (!product || (product.getLhs() != read.getResult() && product.getRhs() != read.getResult()))
      return notSum;
    Value factor = product.getLhs() == read.getResult() ? product.getRhs() : product.getLhs();
    // The value factor must not depend on the weights. When it depends on
    // the axis before the summed one, that axis is a batch axis and the
    // weights have no query axis (one decoder step).
    SetVector<Value> seen;
    SmallVector<Value> work = {factor};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (!seen.insert(v))
        continue;
      if (v == read.getResult())
        return notSum;
      if (Operation *def = v.getDefiningOp())
        if (comp->isProperAncestor(def))
          for (Value o : def->getOperands())
            work.push_back(o);
    }
    chain.singleQuery = rank == 1 || seen.contains(cb.getArgument(rank - 2));
    if (vectorValue && chain.singleQuery)
      return std::string("the values depend on the query index");
    chain.vectorValue = vectorValue;
    int64_t nb = chain.singleQuery ? rank - 1 : rank - 2;
    chain.anchor = comp;
    if (!vectorValue)
      chain.valueWidth = comp.getExtents()[rank - 1];
    // The ops of the body that the factor depends on, in program order.
    SmallVector<Operation *> slice;
    for (Block *block : {&cb, &rb})
      for (Operation &op : block->without_terminator())
        if (llvm::any_of(op.getResults(), [&](Value r) { return seen.contains(r); }))
          slice.push_back(&op);
    chain.value = [&cb, &rb, factor, rank, nb, slice, vectorValue](OpBuilder &b,
                                                                   ArrayRef<Value> args) {
      // args are (batch.., j, d); the comprehension's are (batch.., [i,] [d]).
      IRMapping map;
      for (int64_t a = 0; a < nb; ++a)
        map.map(cb.getArgument(a), args[a]);
      if (!vectorValue)
        map.map(cb.getArgument(rank - 1), args[nb + 1]);
      map.map(rb.getArgument(0), args[nb]);
      for (Operation *op : slice)
        b.clone(*op, map);
      return map.lookupOrDefault(factor);
    };
    return std::nullopt;
  }

  void fuse(Chain &chain) {
    bool unnormalized = !chain.softmax;
    Value x = unnormalized ? chain.weights : chain.softmax.getInput();
    // softmax(topk_mask(X, K)): X is fused too; the op selects the top K.
    Value topk;
    if (auto selection = x.getDefiningOp<TopkMaskOp>(); selection && !unnormalized) {
      topk = selection.getK();
      x = selection.getInput();
    }
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t rank = xType.getRank();
    Location loc = chain.anchor->getLoc();
    OpBuilder b(chain.anchor);

    // Extents: batch..., S, T, D (S is 1 without a query axis).
    SmallVector<Value> extents;
    for (int64_t a = 0; a < rank; ++a) {
      if (chain.singleQuery && a == rank - 1)
        extents.push_back(b.create<arith::ConstantIndexOp>(loc, 1));
      extents.push_back(reifyExtent(b, loc, x, a));
    }
    if (chain.vectorValue)
      extents.push_back(b.create<arith::ConstantIndexOp>(loc, 1));
    else
      extents.push_back(chain.valueWidth
                            ? chain.valueWidth
                            : reifyExtent(b, loc, chain.valueTensorForWidth,
                                          cast<RankedTensorType>(
                                              chain.valueTensorForWidth.getType())
                                                  .getRank() - 1));
    auto anchorType = cast<RankedTensorType>(chain.anchor->getResult(0).getType());
    auto resultType = anchorType;
    if (chain.singleQuery || chain.vectorValue) {
      SmallVector<int64_t> shape(anchorType.getShape());
      if (chain.singleQuery)
        shape.insert(shape.end() - 1, 1);
      else
        shape.push_back(1);
      resultType = RankedTensorType::get(shape, anchorType.getElementType());
    }
    auto op = b.create<AttentionOp>(loc, resultType, extents, topk, ScheduleAttr(),
                                    unnormalized ? b.getUnitAttr() : UnitAttr());
    OpBuilder after(chain.anchor);

    int64_t regionArgs = extents.size() - 1;
    auto addArgs = [&](Region &r) {
      Block *block = b.createBlock(&r);
      for (int64_t a = 0; a < regionArgs; ++a)
        block->addArgument(b.getIndexType(), loc);
      return block;
    };
    // Score: X at (batch.., i, j) (at (batch.., j) without a query axis);
    // leading where(c, s, -inf) become the mask (where(c, w, 0) for
    // unnormalised weights).
    Block *score = addArgs(op.getScore());
    b.setInsertionPointToStart(score);
    SmallVector<Value> xIndices(score->getArguments());
    if (chain.singleQuery)
      xIndices.erase(xIndices.end() - 2);
    Value s = ElementInliner(b).element(x, xIndices);
    SmallVector<Value> conditions;
    while (auto where = dyn_cast_or_null<WhereOp>(s.getDefiningOp())) {
      Value otherwise = where.getOnFalse();
      if (!(unnormalized ? isZero(otherwise) : isNegativeInfinity(otherwise)) ||
          !where.getCondition().getType().isInteger(1))
        break;
      conditions.push_back(where.getCondition());
      s = where.getOnTrue();
    }
    b.create<YieldOp>(loc, s);

    // Mask: a copy of the score's computation that yields the conditions.
    Block *mask = addArgs(op.getMask());
    b.setInsertionPointToStart(mask);
    IRMapping map;
    map.map(score->getArguments(), mask->getArguments());
    for (Operation &o : score->without_terminator())
      b.clone(o, map);
    Value keep;
    for (Value c : conditions)
      keep = keep ? b.create<AndOp>(loc, b.getI1Type(), keep, map.lookup(c)).getResult()
                  : map.lookup(c);
    if (!keep)
      keep = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
    b.create<YieldOp>(loc, keep);

    Block *value = addArgs(op.getValue());
    b.setInsertionPointToStart(value);
    b.create<YieldOp>(loc, chain.value(b, SmallVector<Value>(value->getArguments())));

    IRRewriter rewriter(op.getContext());
    for (Region *r : {&op.getScore(), &op.getMask(), &op.getValue()})
      eraseDeadOps(rewriter, *r);
    Value result = op.getResult();
    if (chain.singleQuery) {
      // [batch..., 1, D] -> [batch..., D]
      SmallVector<Value> outExtents(extents.begin(), extents.end() - 3);
      outExtents.push_back(extents.back());
      result = after.create<ReshapeOp>(loc, anchorType, result, outExtents);
    } else if (chain.vectorValue) {
      // [batch..., S, 1] -> [batch..., S]
      SmallVector<Value> outExtents(extents.begin(), extents.end() - 2);
      result = after.create<ReshapeOp>(loc, anchorType, result, outExtents);
    }
    rewriter.replaceOp(chain.anchor, result);
  }

  void runOnOperation() override {
    SmallVector<SoftmaxOp> softmaxes;
    getOperation().walk([&](SoftmaxOp sm) { softmaxes.push_back(sm); });
    for (SoftmaxOp sm : softmaxes) {
      Chain chain;
      std::optional<std::string> reason = match(sm, chain);
      if (reason) {
        if (reportMissed)
          sm.emitRemark("attention chain not fused: ") << *reason;
        continue;
      }
      if (reportFused)
        sm.emitRemark("attention chain fused: softmax and its weighted sum became one "
                      "attn.attention; the score matrix is not materialised");
      fuse(chain);
    }
    fuseUnnormalised();
    // The softmax and the producers of its scores are now dead; the
    // canonicalizer that follows in the pipeline removes them.
  }

  /// Whether `mm` looks like an attention score `q @ k.T`: its right operand
  /// is a transpose, or both operands are batched alike (rank 3 or more).
  /// A layer's projection (`x @ w`, w a matrix) is neither.
  static bool isScoreLike(MatmulOp mm) {
    auto lhs = cast<RankedTensorType>(mm.getLhs().getType());
    auto rhs = cast<RankedTensorType>(mm.getRhs().getType());
    return mm.getRhs().getDefiningOp<TransposeOp>() ||
           (lhs.getRank() >= 3 && lhs.getRank() == rhs.getRank());
  }

  /// The score-like product that `w` comes from through element-wise ops
  /// and comprehensions that do not reduce (`where(j <= i, s[.., i, j],
  /// 0.0)`), following each one's first tensor operand (or read) of rank 2
  /// or more, if any. `w` itself must be computed element by element.
  static MatmulOp scoreOf(Value w) {
    auto elementwise = [](Operation *op) {
      auto comp = dyn_cast_or_null<ComprehensionOp>(op);
      return op && (isa<ElementwiseOpInterface>(op) || (comp && !reduces(comp)));
    };
    Operation *def = w.getDefiningOp();
    if (!elementwise(def))
      return nullptr;
    while (elementwise(def)) {
      SmallVector<Value> operands(def->getOperands());
      if (auto comp = dyn_cast<ComprehensionOp>(def))
        comp.walk([&](ReadOp read) { operands.push_back(read.getTensor()); });
      Operation *next = nullptr;
      for (Value operand : operands)
        if (auto t = dyn_cast<RankedTensorType>(operand.getType()); t && t.getRank() >= 2)
          if ((next = operand.getDefiningOp()) && !def->isAncestor(next))
            break;
          else
            next = nullptr;
      if (auto score = dyn_cast_or_null<MatmulOp>(next); score && isScoreLike(score))
        return score;
      def = next;
    }
    return nullptr;
  }

  /// Why `w @ v`, w an element-wise function of a score without a softmax,
  /// is not fused, or std::nullopt when `chain` describes it.
  std::optional<std::string> matchUnnormalised(MatmulOp weighted, MatmulOp score, Chain &chain) {
    auto rank = [](Value v) { return cast<RankedTensorType>(v.getType()).getRank(); };
    // A layer's projections (`gelu(x @ w1.T) @ w2.T`) have the same form;
    // attention's score is batched on both sides (heads).
    if (rank(score.getLhs()) < 3 || rank(score.getRhs()) < 3)
      return std::string("its score is not batched on both sides (rank 3 or more, as with "
                         "heads), so it is taken for a layer's projections");
    Value w = weighted.getLhs();
    if (!w.hasOneUse())
      return std::string("the attention weights have other uses, so they must be materialised");
    if (auto type = cast<RankedTensorType>(w.getType()); type.getRank() >= 2) {
      chain.weights = w;
      return matchProduct(weighted, type, chain);
    }
    return std::string("the weights are a vector, so there is no query axis");
  }

  /// Products whose weights come from a score through element-wise ops
  /// alone, with no softmax (sigmoid or ReLU attention): fused without
  /// normalisation, or remarked with the reason, at the first element-wise op.
  void fuseUnnormalised() {
    SmallVector<std::pair<MatmulOp, MatmulOp>> candidates;
    getOperation().walk([&](MatmulOp weighted) {
      if (MatmulOp score = scoreOf(weighted.getLhs()))
        candidates.push_back({weighted, score});
    });
    for (auto [weighted, score] : candidates) {
      Operation *activation = weighted.getLhs().getDefiningOp();
      Chain chain;
      if (std::optional<std::string> reason = matchUnnormalised(weighted, score, chain)) {
        if (reportMissed)
          activation->emitRemark("attention chain not fused: its weights are not a softmax of "
                                 "the score, and ")
              << *reason << "; it runs as two matrix products and the score matrix is "
                            "materialised";
        continue;
      }
      if (reportFused)
        activation->emitRemark("attention chain fused without normalisation: the weights (an "
                               "element-wise function of the score) and their weighted sum "
                               "became one attn.attention; the score matrix is not "
                               "materialised");
      fuse(chain);
    }
  }
};

} // namespace
