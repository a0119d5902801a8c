//===- ContractionForm.cpp - What a contraction reads and what follows it -===//

#include "ContractionForm.h"

#include "attnc/Dialect/Attn/IR/ScalarSemantics.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace attnc::lowering {

using namespace attn;

/// A conversion between float element types (f16/bf16 storage to f32).
static bool isFloatConversion(ConvertOp op) {
  auto in = dyn_cast<RankedTensorType>(op.getInput().getType());
  auto out = dyn_cast<RankedTensorType>(op.getResult().getType());
  return in && out && isa<FloatType>(in.getElementType()) && out.getElementType().isF32();
}

OperandView::OperandView(Value tensor, bool throughMerges) {
  while (Operation *def = tensor.getDefiningOp()) {
    if (auto t = dyn_cast<TransposeOp>(def))
      tensor = t.getInput();
    else if (auto hd = dyn_cast<HeadsOp>(def))
      tensor = hd.getInput();
    else if (auto uh = dyn_cast<UnheadsOp>(def); uh && throughMerges)
      tensor = uh.getInput();
    else if (auto c = dyn_cast<ConvertOp>(def); c && isFloatConversion(c))
      tensor = c.getInput();
    else
      break;
    steps.push_back(def);
  }
  source = tensor;
}

void OperandView::materialize(LoopBuilder &h) {
  auto type = cast<RankedTensorType>(source.getType());
  buffer = h.b.create<bufferization::ToMemrefOp>(
      h.loc, MemRefType::get(type.getShape(), type.getElementType()), source);
  // From the source on: a head split's width comes from the extents below it.
  headWidths.assign(steps.size(), Value());
  for (int64_t i = static_cast<int64_t>(steps.size()) - 1; i >= 0; --i) {
    int64_t last = cast<RankedTensorType>(steps[i]->getOperand(0).getType()).getRank() - 1;
    if (auto hd = dyn_cast<HeadsOp>(steps[i]))
      headWidths[i] = h.b.create<arith::DivUIOp>(h.loc, extentFrom(h, i + 1, last),
                                                 hd.getNumHeads());
    else if (isa<UnheadsOp>(steps[i]))
      headWidths[i] = extentFrom(h, i + 1, last);
  }
}

SmallVector<Value> OperandView::sourceIndices(LoopBuilder &h, ValueRange logical) const {
  SmallVector<Value> idx(logical);
  for (auto [i, step] : llvm::enumerate(steps)) {
    if (auto t = dyn_cast<TransposeOp>(step)) {
      // Result axis i is operand axis permutation[i].
      SmallVector<Value> in(idx.size());
      for (auto [i, p] : llvm::enumerate(t.getPermutation()))
        in[p] = idx[i];
      idx = in;
    } else if (isa<HeadsOp>(step)) {
      // [..., h, s, d] reads [..., s, h * D + d].
      size_t r = idx.size();
      Value col = h.add(h.mul(idx[r - 3], headWidths[i]), idx[r - 1]);
      SmallVector<Value> in(idx.begin(), idx.end() - 3);
      in.append({idx[r - 2], col});
      idx = in;
    } else if (isa<UnheadsOp>(step)) {
      // [..., s, c] reads [..., c / D, s, c % D].
      size_t r = idx.size();
      SmallVector<Value> in(idx.begin(), idx.end() - 2);
      in.append({h.b.create<arith::DivUIOp>(h.loc, idx[r - 1], headWidths[i]), idx[r - 2],
                 h.b.create<arith::RemUIOp>(h.loc, idx[r - 1], headWidths[i])});
      idx = in;
    }
  }
  return idx;
}

Value OperandView::extent(LoopBuilder &h, int64_t axis) const { return extentFrom(h, 0, axis); }

Value OperandView::extentFrom(LoopBuilder &h, size_t first, int64_t axis) const {
  for (size_t i = first; i < steps.size(); ++i) {
    if (auto t = dyn_cast<TransposeOp>(steps[i])) {
      axis = t.getPermutation()[axis];
    } else if (auto hd = dyn_cast<HeadsOp>(steps[i])) {
      // [..., h, s, d] from [..., s, h * D + d].
      int64_t r = cast<RankedTensorType>(hd.getResult().getType()).getRank();
      if (axis == r - 3)
        return hd.getNumHeads();
      if (axis == r - 1)
        return headWidths[i];
      if (axis == r - 2)
        axis = r - 3;
    } else if (auto uh = dyn_cast<UnheadsOp>(steps[i])) {
      // [..., s, H * D] from [..., H, s, D].
      int64_t r = cast<RankedTensorType>(uh.getResult().getType()).getRank();
      if (axis == r - 1)
        return h.mul(extentFrom(h, i + 1, r - 2), headWidths[i]);
      if (axis == r - 2)
        axis = r - 1;
    }
  }
  auto type = cast<RankedTensorType>(source.getType());
  if (!type.isDynamicDim(axis))
    return h.idx(type.getDimSize(axis));
  return h.b.create<memref::DimOp>(h.loc, buffer, axis);
}

bool OperandView::lastAxisContiguous() const {
  // Follow the logical last axis back to the source.
  int64_t axis = cast<RankedTensorType>((steps.empty() ? source : steps.front()->getResult(0))
                                            .getType())
                     .getRank() -
                 1;
  for (Operation *step : steps) {
    if (auto t = dyn_cast<TransposeOp>(step)) {
      axis = t.getPermutation()[axis];
    } else if (auto hd = dyn_cast<HeadsOp>(step)) {
      int64_t r = cast<RankedTensorType>(hd.getResult().getType()).getRank();
      if (axis == r - 3)
        return false;  // the head index steps by D columns
      axis = axis == r - 1 ? r - 2 : axis == r - 2 ? r - 3 : axis;
    } else if (auto uh = dyn_cast<UnheadsOp>(step)) {
      int64_t r = cast<RankedTensorType>(uh.getResult().getType()).getRank();
      if (axis == r - 1)
        return false;  // a column crosses from one head to the next
      axis = axis == r - 2 ? r - 1 : axis;
    }
  }
  return axis == cast<RankedTensorType>(source.getType()).getRank() - 1;
}

/// `v` (f32, f16 or bf16, or a vector of them) as f32.
static Value asF32(LoopBuilder &h, Value v) {
  Type f32 = scalar::shapedLike(h.b.getF32Type(), v.getType());
  return v.getType() == f32 ? v : h.b.create<arith::ExtFOp>(h.loc, f32, v);
}

Value OperandView::load(LoopBuilder &h, ValueRange logical) const {
  return asF32(h, h.load(buffer, sourceIndices(h, logical)));
}

Value OperandView::loadRow(LoopBuilder &h, ValueRange logical, Value count, int64_t width) const {
  Type element = cast<MemRefType>(buffer.getType()).getElementType();
  auto type = VectorType::get({width}, element);
  Value mask = h.b.create<vector::CreateMaskOp>(
      h.loc, VectorType::get({width}, h.b.getI1Type()), count);
  Value zero = h.constantLike(h.b.getFloatAttr(element, 0.0), type);
  return asF32(h, h.b.create<vector::MaskedLoadOp>(h.loc, type, buffer,
                                                   sourceIndices(h, logical), mask, zero));
}

/// Whether `operand` of an epilogue op over `result` can be read per tile:
/// a scalar, or an f32 tensor broadcast to the result's shape.
static bool readablePerTile(Value operand, RankedTensorType result) {
  auto t = dyn_cast<RankedTensorType>(operand.getType());
  if (!t)
    return operand.getType().isIntOrIndexOrFloat();
  if (!t.getElementType().isF32() || t.getRank() > result.getRank())
    return false;
  int64_t offset = result.getRank() - t.getRank();
  for (int64_t i = 0; i < t.getRank(); ++i) {
    int64_t e = t.getDimSize(i), r = result.getDimSize(offset + i);
    if (e != 1 && !ShapedType::isDynamic(e) && !ShapedType::isDynamic(r) && e != r)
      return false;
  }
  return true;
}

Epilogue findEpilogue(MatmulOp op) {
  Epilogue epilogue;
  Value v = op.getResult();
  auto shape = cast<RankedTensorType>(v.getType());
  while (!v.use_empty()) {
    Operation *user = *v.getUsers().begin();
    if (user->getBlock() != op->getBlock() ||
        !llvm::all_of(v.getUsers(), [&](Operation *u) { return u == user; }))
      break;
    auto elementwise = dyn_cast<ElementwiseOpInterface>(user);
    if (!elementwise)
      break;
    auto type = dyn_cast<RankedTensorType>(user->getResult(0).getType());
    if (!type || type.getShape() != shape.getShape() ||
        !type.getElementType().isF32())
      break;
    if (!llvm::all_of(user->getOperands(),
                      [&](Value o) { return o == v || readablePerTile(o, shape); }))
      break;
    epilogue.ops.push_back(elementwise);
    v = user->getResult(0);
  }
  epilogue.result = v;
  return epilogue;
}

} // namespace attnc::lowering
