//===- RaiseComprehensions.cpp - Comprehensions that are contractions -----===//

#include "RaiseComprehensions.h"

using namespace mlir;

namespace attnc::lowering {

using namespace attn;

namespace {

/// A read of an f32 tensor at bare indices: the positions, in the
/// comprehension's indices followed by the reduction's, of its axes.
struct IndexedRead {
  Value tensor;
  SmallVector<int64_t> axes;
};

std::optional<IndexedRead> indexedRead(Value v, Block &outer, Block &inner) {
  auto read = v.getDefiningOp<ReadOp>();
  auto type = read ? dyn_cast<RankedTensorType>(read.getTensor().getType()) : nullptr;
  if (!type || !type.getElementType().isF32())
    return std::nullopt;
  IndexedRead r{read.getTensor(), {}};
  for (Value index : read.getIndices()) {
    auto arg = dyn_cast<BlockArgument>(index);
    if (!arg || (arg.getOwner() != &outer && arg.getOwner() != &inner))
      return std::nullopt;
    int64_t axis = arg.getArgNumber() + (arg.getOwner() == &inner ? outer.getNumArguments() : 0);
    if (llvm::is_contained(r.axes, axis))
      return std::nullopt;
    r.axes.push_back(axis);
  }
  return r;
}

/// `read`'s tensor transposed so that its axes are `order` (positions of
/// indices, each among the read's), or itself when they already are.
Value arranged(RewriterBase &rewriter, Location loc, const IndexedRead &read,
               ArrayRef<int64_t> order) {
  SmallVector<int64_t> permutation;
  for (int64_t axis : order)
    permutation.push_back(llvm::find(read.axes, axis) - read.axes.begin());
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size())))
    return read.tensor;
  auto type = cast<RankedTensorType>(read.tensor.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : permutation)
    shape.push_back(type.getDimSize(p));
  return rewriter.create<TransposeOp>(loc, type.clone(shape), read.tensor, permutation);
}

} // namespace

MatmulOp raiseContraction(ComprehensionOp op, RewriterBase &rewriter) {
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  Block &outer = op.getBody().front();
  auto yield = cast<YieldOp>(outer.getTerminator());
  auto reduce = yield.getValue().getDefiningOp<IndexReduceOp>();
  if (!resultType.getElementType().isF32() || resultType.getRank() < 2 || !reduce ||
      reduce.getKind() != ReduceKind::sum || reduce.getExtents().size() != 1 ||
      outer.getOperations().size() != 2)
    return nullptr;
  Block &inner = reduce.getBody().front();
  auto mul = cast<YieldOp>(inner.getTerminator()).getValue().getDefiningOp<MulOp>();
  if (!mul || inner.getOperations().size() != 4)
    return nullptr;
  std::optional<IndexedRead> a = indexedRead(mul.getLhs(), outer, inner);
  std::optional<IndexedRead> b = indexedRead(mul.getRhs(), outer, inner);
  if (!a || !b)
    return nullptr;

  // Result axes: batch (in both), then i (only in a), then j (only in b);
  // k (the reduction's index) in both.
  const int64_t rank = resultType.getRank(), k = rank;
  auto in = [](const IndexedRead &r, int64_t axis) { return llvm::is_contained(r.axes, axis); };
  if (!in(*a, k) || !in(*b, k))
    return nullptr;
  for (int64_t axis = 0; axis < rank - 2; ++axis)
    if (!in(*a, axis) || !in(*b, axis))
      return nullptr;
  const int64_t i = rank - 2, j = rank - 1;
  if (in(*b, i) && !in(*b, j))
    std::swap(a, b);  // the product is commutative: b * a
  if (!in(*a, i) || in(*b, i) || in(*a, j) || !in(*b, j) ||
      a->axes.size() != static_cast<size_t>(rank) || b->axes.size() != static_cast<size_t>(rank))
    return nullptr;

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<int64_t> orderA = llvm::to_vector(llvm::seq<int64_t>(0, rank - 2));
  SmallVector<int64_t> orderB = orderA;
  orderA.append({i, k});
  orderB.append({k, j});
  Value lhs = arranged(rewriter, loc, *a, orderA), rhs = arranged(rewriter, loc, *b, orderB);
  auto matmul = rewriter.create<MatmulOp>(loc, resultType, lhs, rhs);
  rewriter.replaceOp(op, matmul.getResult());
  return matmul;
}

} // namespace attnc::lowering
