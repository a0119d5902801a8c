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

/// Whether `operand` of an element-wise op giving `result` can be read at
/// the result's indices: a scalar, or an f32 tensor that broadcasts to the
/// result's shape.
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

SmallVector<Value> alignedBatch(LoopBuilder &h, RankedTensorType type, int64_t own,
                                ValueRange indices) {
  SmallVector<Value> idx;
  int64_t offset = static_cast<int64_t>(indices.size()) - own;
  for (int64_t j = 0; j < own; ++j)
    idx.push_back(type.getDimSize(j) == 1 ? h.idx(0) : indices[offset + j]);
  return idx;
}

static int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }

OperandView::OperandView(Value tensor, bool throughMerges) : value(tensor) {
  // An element-wise op is read through only while every value from the
  // logical one down to its result has a single use.
  bool singleUse = true;
  while (Operation *def = tensor.getDefiningOp()) {
    singleUse = singleUse && tensor.hasOneUse();
    ElementwiseStep step;
    bool isElementwise = false;
    if (auto t = dyn_cast<TransposeOp>(def))
      tensor = t.getInput();
    else if (auto hd = dyn_cast<HeadsOp>(def))
      tensor = hd.getInput();
    else if (auto uh = dyn_cast<UnheadsOp>(def); uh && throughMerges)
      tensor = uh.getInput();
    else if (auto c = dyn_cast<ConvertOp>(def); c && isFloatConversion(c))
      tensor = c.getInput();
    else if ((isElementwise = singleUse && acceptElementwise(def, step)))
      tensor = def->getOperand(step.through);
    else
      break;
    steps.push_back(def);
    elementwise.push_back(isElementwise ? std::optional(std::move(step)) : std::nullopt);
  }
  source = tensor;
}

bool OperandView::acceptElementwise(Operation *def, ElementwiseStep &step) const {
  if (!isa<ElementwiseOpInterface>(def) || isa<ConvertOp>(def) || def->getNumResults() != 1)
    return false;
  auto type = dyn_cast<RankedTensorType>(def->getResult(0).getType());
  if (!type || !type.getElementType().isF32())
    return false;
  auto operands = def->getOperands();
  auto through = llvm::find_if(operands, [&](Value o) { return o.getType() == type; });
  if (through == operands.end())
    return false;
  step.through = static_cast<unsigned>(through - operands.begin());
  step.sides.assign(operands.size(), SideOperand());
  // The axis a row read runs along in this op's result.
  int64_t row = rowAxisAfter(steps.size());
  for (auto [j, o] : llvm::enumerate(operands)) {
    if (j == step.through)
      continue;
    if (!readablePerTile(o, type))
      return false;
    auto t = dyn_cast<RankedTensorType>(o.getType());
    if (!t)
      continue;
    SideOperand &side = step.sides[j];
    side.view = std::make_shared<OperandView>(o);
    int64_t axis = row - (type.getRank() - t.getRank());
    if (row < 0 || axis < 0 || t.getDimSize(axis) == 1)
      continue;  // constant along a row (or rows are never read as vectors)
    if (row != type.getRank() - 1 || axis != t.getRank() - 1 || !side.view->lastAxisContiguous())
      return false;
    side.alongRow = true;
  }
  return true;
}

bool OperandView::computes() const {
  return llvm::any_of(elementwise, [](auto &e) { return e.has_value(); });
}

void OperandView::materialize(LoopBuilder &h) {
  for (auto &step : elementwise)
    if (step)
      for (SideOperand &side : step->sides)
        if (side.view)
          side.view->materialize(h);
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

SmallVector<Value> OperandView::sourceIndices(LoopBuilder &h, ValueRange logical,
                                              SmallVector<SmallVector<Value>> *atSteps) const {
  SmallVector<Value> idx(logical);
  for (auto [i, step] : llvm::enumerate(steps)) {
    if (atSteps)
      atSteps->push_back(idx);
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

int64_t OperandView::rowAxisAfter(size_t n) const {
  int64_t axis = rankOf(value) - 1;
  for (Operation *step : ArrayRef<Operation *>(steps).take_front(n)) {
    if (auto t = dyn_cast<TransposeOp>(step)) {
      axis = t.getPermutation()[axis];
    } else if (auto hd = dyn_cast<HeadsOp>(step)) {
      int64_t r = rankOf(hd.getResult());
      if (axis == r - 3)
        return -1;  // the head index steps by D columns
      axis = axis == r - 1 ? r - 2 : axis == r - 2 ? r - 3 : axis;
    } else if (auto uh = dyn_cast<UnheadsOp>(step)) {
      int64_t r = rankOf(uh.getResult());
      if (axis == r - 1)
        return -1;  // a column crosses from one head to the next
      axis = axis == r - 2 ? r - 1 : axis;
    }
  }
  return axis;
}

bool OperandView::lastAxisContiguous() const {
  return rowAxisAfter(steps.size()) == rankOf(source) - 1;
}

/// `v` (f32, f16 or bf16, or a vector of them) as f32.
static Value asF32(LoopBuilder &h, Value v) {
  Type f32 = scalar::shapedLike(h.b.getF32Type(), v.getType());
  return v.getType() == f32 ? v : h.b.create<arith::ExtFOp>(h.loc, f32, v);
}

Value OperandView::compute(LoopBuilder &h, Value x, ArrayRef<SmallVector<Value>> atSteps,
                           Value count, int64_t width) const {
  auto splat = [&](Value e) {
    return width > 0 ? h.b.create<vector::BroadcastOp>(h.loc, x.getType(), e).getResult() : e;
  };
  for (size_t i = steps.size(); i-- > 0;) {
    if (!elementwise[i])
      continue;
    SmallVector<Value> operands;
    for (auto [j, o] : llvm::enumerate(steps[i]->getOperands())) {
      const SideOperand &side = elementwise[i]->sides[j];
      if (j == elementwise[i]->through) {
        operands.push_back(x);
      } else if (!side.view) {
        operands.push_back(splat(scalar::cast(h.b, h.loc, o, h.b.getF32Type())));
      } else {
        auto type = cast<RankedTensorType>(o.getType());
        SmallVector<Value> idx = alignedBatch(h, type, type.getRank(), atSteps[i]);
        operands.push_back(side.alongRow && width > 0 ? side.view->loadRow(h, idx, count, width)
                                                      : splat(side.view->load(h, idx)));
      }
    }
    x = cast<ElementwiseOpInterface>(steps[i]).buildScalar(h.b, h.loc, operands, x.getType());
  }
  return x;
}

Value OperandView::load(LoopBuilder &h, ValueRange logical) const {
  SmallVector<SmallVector<Value>> atSteps;
  Value x = asF32(h, h.load(buffer, sourceIndices(h, logical, &atSteps)));
  return compute(h, x, atSteps, Value(), 0);
}

Value OperandView::loadRow(LoopBuilder &h, ValueRange logical, Value count, int64_t width) const {
  SmallVector<SmallVector<Value>> atSteps;
  SmallVector<Value> idx = sourceIndices(h, logical, &atSteps);
  Value x = asF32(h, maskedLoad(h, buffer, idx, count, width));
  if (!computes())
    return x;
  // The element-wise ops may not map 0 to 0: the lanes past `count` are
  // set to 0 again.
  x = compute(h, x, atSteps, count, width);
  Value mask = h.b.create<vector::CreateMaskOp>(
      h.loc, VectorType::get({width}, h.b.getI1Type()), count);
  return h.b.create<arith::SelectOp>(h.loc, mask, x, h.f32Like(0.0, x.getType()));
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
  // A final conversion to a narrower float type: stored as such.
  auto narrowing = dyn_cast_or_null<ConvertOp>(v.hasOneUse() ? *v.user_begin() : nullptr);
  if (narrowing && narrowing->getBlock() == op->getBlock()) {
    auto type = dyn_cast<RankedTensorType>(narrowing.getResult().getType());
    if (type && type.getShape() == shape.getShape() && isa<FloatType>(type.getElementType()) &&
        type.getElementType().getIntOrFloatBitWidth() < 32) {
      epilogue.ops.push_back(cast<ElementwiseOpInterface>(narrowing.getOperation()));
      epilogue.narrowing = narrowing;
      v = narrowing.getResult();
    }
  }
  epilogue.result = v;
  return epilogue;
}

} // namespace attnc::lowering
