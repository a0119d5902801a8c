//===- AttentionForms.cpp - The fast forms of a fused attention -----------===//

#include "attnc/Dialect/Attn/Analysis/AttentionForms.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace attnc::attn {

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

static std::optional<TiledOperand> tiledRead(Value v, BlockArgument row, BlockArgument col,
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

/// The batch arguments of one of the op's regions.
static SmallVector<BlockArgument> batchArguments(AttentionOp op, Region &region) {
  return SmallVector<BlockArgument>(region.front().getArguments().take_front(op.getNumBatchDims()));
}

std::optional<DotForm> findDotForm(AttentionOp op) {
  Region &region = op.getScore();
  Block &block = region.front();
  unsigned nb = op.getNumBatchDims();
  SmallVector<BlockArgument> batch = batchArguments(op, region);
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
  // value(batch, j, d) = v[lead(batch), j, d]: rows j, columns d.
  return tiledRead(cast<YieldOp>(block.getTerminator()).getValue(), block.getArgument(nb),
                   block.getArgument(nb + 1), batchArguments(op, region), region);
}


} // namespace attnc::attn
