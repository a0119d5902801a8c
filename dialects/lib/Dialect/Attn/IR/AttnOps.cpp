//===- AttnOps.cpp - Verifiers of the attn dialect's ops ------------------===//
//
// The ops' ODS entries (AttnOps.td) define the element-wise ops' scalar
// semantics with the helpers of ScalarSemantics.h; their code lands here.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/Attn.h"
#include "attnc/Dialect/Attn/IR/ScalarSemantics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace attnc::attn;

namespace {

/// Returns the shape of a tensor type, or std::nullopt for a scalar.
std::optional<ArrayRef<int64_t>> shapeOf(Type t) {
  if (auto rt = dyn_cast<RankedTensorType>(t))
    return rt.getShape();
  return std::nullopt;
}

/// Two extents can be the same at run time.
bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

std::string shapeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

} // namespace

LogicalResult attnc::attn::verifyElementwise(Operation *op) {
  Type resultType = op->getResult(0).getType();
  auto resultShape = shapeOf(resultType);
  unsigned maxRank = 0;
  bool anyTensor = false;
  for (Value v : op->getOperands()) {
    if (auto s = shapeOf(v.getType())) {
      anyTensor = true;
      maxRank = std::max<unsigned>(maxRank, s->size());
    }
  }
  if (!anyTensor) {
    if (resultShape)
      return op->emitOpError("has only scalar operands but a tensor result ") << resultType;
    return success();
  }
  if (!resultShape)
    return op->emitOpError("has a tensor operand but a scalar result ") << resultType;
  if (resultShape->size() != maxRank)
    return op->emitOpError("result rank ")
           << resultShape->size() << " differs from the broadcast rank " << maxRank;
  // Right-aligned broadcasting: each operand extent is 1 or the result's.
  for (auto [i, v] : llvm::enumerate(op->getOperands())) {
    auto s = shapeOf(v.getType());
    if (!s)
      continue;
    unsigned offset = maxRank - s->size();
    for (auto [axis, extent] : llvm::enumerate(*s)) {
      int64_t r = (*resultShape)[offset + axis];
      if (extent != 1 && !compatible(extent, r))
        return op->emitOpError("operand #")
               << i << " of type " << v.getType() << " does not broadcast to " << resultType;
    }
  }
  return success();
}

LogicalResult attnc::attn::verifyConvert(ConvertOp op) {
  auto in = shapeOf(op.getInput().getType());
  auto out = shapeOf(op.getResult().getType());
  if (in.has_value() != out.has_value())
    return op.emitOpError("converts between a tensor and a scalar");
  if (in && (in->size() != out->size() ||
             !llvm::all_of(llvm::zip(*in, *out),
                           [](auto p) { return compatible(std::get<0>(p), std::get<1>(p)); })))
    return op.emitOpError("changes the shape from ")
           << op.getInput().getType() << " to " << op.getResult().getType();
  return success();
}

LogicalResult MatmulOp::verify() {
  auto a = cast<RankedTensorType>(getLhs().getType());
  auto b = cast<RankedTensorType>(getRhs().getType());
  auto c = cast<RankedTensorType>(getResult().getType());
  if (a.getRank() == 0 || b.getRank() == 0)
    return emitOpError("operands must have rank 1 or more");
  int64_t ka = a.getShape().back();
  int64_t kb = b.getRank() == 1 ? b.getShape()[0] : b.getShape()[b.getRank() - 2];
  if (!compatible(ka, kb))
    return emitOpError("contracted extents differ (") << ka << " vs " << kb << ")";
  int64_t batch = std::max<int64_t>(a.getRank() - 2, b.getRank() - 2);
  batch = std::max<int64_t>(batch, 0);
  int64_t expected = batch + (a.getRank() > 1 ? 1 : 0) + (b.getRank() > 1 ? 1 : 0);
  if (c.getRank() != expected)
    return emitOpError("result rank ") << c.getRank() << " should be " << expected;
  if (a.getRank() > 1 && !compatible(c.getShape()[batch], a.getShape()[a.getRank() - 2]))
    return emitOpError("result rows differ from the left operand's");
  if (b.getRank() > 1 && !compatible(c.getShape().back(), b.getShape().back()))
    return emitOpError("result columns differ from the right operand's");
  return success();
}

int64_t MatmulOp::getNumBatchAxes() {
  auto c = cast<RankedTensorType>(getResult().getType());
  auto a = cast<RankedTensorType>(getLhs().getType());
  auto b = cast<RankedTensorType>(getRhs().getType());
  return c.getRank() - (a.getRank() > 1 ? 1 : 0) - (b.getRank() > 1 ? 1 : 0);
}

/// The extent `axis` of operand `index` of `op`: a constant where static,
/// else `extentOf`'s or a tensor.dim.
static Value operandExtent(MatmulOp op, OpBuilder &b, unsigned index, int64_t axis,
                           MatmulOp::ExtentFn extentOf) {
  Value tensor = op->getOperand(index);
  auto t = cast<RankedTensorType>(tensor.getType());
  if (!t.isDynamicDim(axis))
    return b.create<arith::ConstantIndexOp>(op.getLoc(), t.getDimSize(axis));
  if (extentOf)
    return extentOf(index, axis);
  return b.create<tensor::DimOp>(op.getLoc(), tensor, axis);
}

SmallVector<Value> MatmulOp::buildResultExtents(OpBuilder &b, ExtentFn extentOf) {
  auto ta = cast<RankedTensorType>(getLhs().getType());
  auto tb = cast<RankedTensorType>(getRhs().getType());
  int64_t batch = getNumBatchAxes();
  int64_t batchA = std::max<int64_t>(ta.getRank() - 2, 0);
  int64_t batchB = std::max<int64_t>(tb.getRank() - 2, 0);
  SmallVector<Value> extents;
  for (int64_t i = 0; i < batch; ++i) {
    int64_t ia = i - (batch - batchA), ib = i - (batch - batchB);
    bool useA = ia >= 0 && ta.getDimSize(ia) != 1;
    extents.push_back(useA || ib < 0 ? operandExtent(*this, b, 0, ia, extentOf)
                                     : operandExtent(*this, b, 1, ib, extentOf));
  }
  if (ta.getRank() > 1)
    extents.push_back(operandExtent(*this, b, 0, ta.getRank() - 2, extentOf));
  if (tb.getRank() > 1)
    extents.push_back(operandExtent(*this, b, 1, tb.getRank() - 1, extentOf));
  return extents;
}

Value MatmulOp::buildDepth(OpBuilder &b, ExtentFn extentOf) {
  return operandExtent(*this, b, 0, cast<RankedTensorType>(getLhs().getType()).getRank() - 1,
                       extentOf);
}

LogicalResult TransposeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  ArrayRef<int64_t> perm = getPermutation();
  if (static_cast<int64_t>(perm.size()) != in.getRank() || out.getRank() != in.getRank())
    return emitOpError("permutation has ") << perm.size() << " entries for rank " << in.getRank();
  llvm::SmallVector<bool> seen(perm.size(), false);
  for (auto [i, p] : llvm::enumerate(perm)) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOpError("is not given a permutation");
    seen[p] = true;
    if (!compatible(out.getShape()[i], in.getShape()[p]))
      return emitOpError("result axis ") << i << " differs from operand axis " << p;
  }
  return success();
}

LogicalResult SoftmaxOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (getAxis() < 0 || getAxis() >= in.getRank())
    return emitOpError("axis ") << getAxis() << " is out of range for rank " << in.getRank();
  if (getResult().getType() != in)
    return emitOpError("result type must equal the operand type");
  return success();
}

LogicalResult ReduceOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  ArrayRef<int64_t> axes = getAxes();
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (a < 0 || a >= in.getRank() || (i > 0 && axes[i - 1] >= a))
      return emitOpError("axes must be increasing and within rank ") << in.getRank();
  }
  if (out.getRank() != in.getRank() - static_cast<int64_t>(axes.size()))
    return emitOpError("result rank ") << out.getRank() << " should be "
                                       << in.getRank() - static_cast<int64_t>(axes.size());
  return success();
}

LogicalResult LayerNormOp::verify() {
  if (getResult().getType() != getInput().getType())
    return emitOpError("result type must equal the operand type");
  if (cast<RankedTensorType>(getInput().getType()).getRank() == 0)
    return emitOpError("needs an operand of rank 1 or more");
  return success();
}

LogicalResult RMSNormOp::verify() {
  if (getResult().getType() != getInput().getType())
    return emitOpError("result type must equal the operand type");
  if (cast<RankedTensorType>(getInput().getType()).getRank() == 0)
    return emitOpError("needs an operand of rank 1 or more");
  return success();
}

LogicalResult HeadsOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getRank() < 2)
    return emitOpError("needs an operand of rank 2 or more");
  if (out.getRank() != in.getRank() + 1)
    return emitOpError("result rank must be the operand rank + 1");
  return success();
}

LogicalResult UnheadsOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getRank() < 3)
    return emitOpError("needs an operand of rank 3 or more");
  if (out.getRank() != in.getRank() - 1)
    return emitOpError("result rank must be the operand rank - 1");
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto out = cast<RankedTensorType>(getResult().getType());
  if (static_cast<int64_t>(getExtents().size()) != out.getRank())
    return emitOpError("has ") << getExtents().size() << " extents for a result of rank "
                               << out.getRank();
  return success();
}

LogicalResult ConcatOp::verify() {
  auto a = cast<RankedTensorType>(getLhs().getType());
  auto b = cast<RankedTensorType>(getRhs().getType());
  auto c = cast<RankedTensorType>(getResult().getType());
  if (a.getRank() != b.getRank() || a.getRank() != c.getRank())
    return emitOpError("operands and result must have the same rank");
  if (getAxis() < 0 || getAxis() >= a.getRank())
    return emitOpError("axis ") << getAxis() << " is out of range for rank " << a.getRank();
  for (int64_t i = 0; i < a.getRank(); ++i) {
    if (i == getAxis())
      continue;
    if (!compatible(a.getShape()[i], b.getShape()[i]) ||
        !compatible(a.getShape()[i], c.getShape()[i]))
      return emitOpError("axis ") << i << " differs between " << shapeString(a) << " and "
                                  << shapeString(b);
  }
  int64_t x = a.getShape()[getAxis()], y = b.getShape()[getAxis()], z = c.getShape()[getAxis()];
  if (!ShapedType::isDynamic(x) && !ShapedType::isDynamic(y) && !compatible(x + y, z))
    return emitOpError("axis ") << getAxis() << " of the result must be " << x + y << " ("
                                << x << " + " << y << "), not " << shapeString(c);
  return success();
}

LogicalResult TopkMaskOp::verify() {
  if (getResult().getType() != getInput().getType())
    return emitOpError("result type must equal the operand type");
  if (cast<RankedTensorType>(getInput().getType()).getRank() == 0)
    return emitOpError("needs an operand of rank 1 or more");
  return success();
}

/// Shared by the two region ops: one index block argument per extent and a
/// yield of the expected type.
static LogicalResult verifyIndexRegion(Operation *op, Region &body, size_t numExtents,
                                       Type yieldType) {
  Block &block = body.front();
  if (block.getNumArguments() != numExtents)
    return op->emitOpError("body has ") << block.getNumArguments()
                                        << " arguments for " << numExtents << " extents";
  for (BlockArgument arg : block.getArguments())
    if (!arg.getType().isIndex())
      return op->emitOpError("body arguments must be of type index");
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return op->emitOpError("body must end with attn.yield");
  if (yield.getValue().getType() != yieldType)
    return op->emitOpError("body yields ")
           << yield.getValue().getType() << " but the element type is " << yieldType;
  return success();
}

LogicalResult ComprehensionOp::verify() {
  auto out = cast<RankedTensorType>(getResult().getType());
  if (static_cast<int64_t>(getExtents().size()) != out.getRank())
    return emitOpError("has ") << getExtents().size() << " extents for a result of rank "
                               << out.getRank();
  return verifyIndexRegion(getOperation(), getBody(), getExtents().size(),
                           out.getElementType());
}

LogicalResult IndexReduceOp::verify() {
  if (getExtents().empty())
    return emitOpError("needs at least one extent");
  return verifyIndexRegion(getOperation(), getBody(), getExtents().size(),
                           getResult().getType());
}

LogicalResult AttentionOp::verify() {
  if (getExtents().size() < 3)
    return emitOpError("needs the extents of the batch axes, S, T and D");
  auto out = cast<RankedTensorType>(getResult().getType());
  size_t batch = getNumBatchDims();
  if (out.getRank() != static_cast<int64_t>(batch + 2))
    return emitOpError("result rank ") << out.getRank() << " should be " << batch + 2;
  Type f32 = FloatType::getF32(getContext());
  Type i1 = IntegerType::get(getContext(), 1);
  if (failed(verifyIndexRegion(getOperation(), getScore(), batch + 2, f32)) ||
      failed(verifyIndexRegion(getOperation(), getMask(), batch + 2, i1)) ||
      failed(verifyIndexRegion(getOperation(), getValue(), batch + 2, f32)))
    return failure();
  if (getUnnormalized() && getTopk())
    return emitOpError("takes topk only with its softmax, not unnormalized");
  if (ScheduleAttr schedule = getScheduleAttr())
    return verifyAppliedSchedule(getOperation(), schedule);
  return success();
}

LogicalResult ReadOp::verify() {
  auto t = cast<RankedTensorType>(getTensor().getType());
  if (static_cast<int64_t>(getIndices().size()) != t.getRank())
    return emitOpError("has ") << getIndices().size() << " indices for a tensor of rank "
                               << t.getRank();
  if (getResult().getType() != t.getElementType())
    return emitOpError("result type must be the element type ") << t.getElementType();
  return success();
}

#include "attnc/Dialect/Attn/IR/ElementwiseOpInterface.cpp.inc"

#define GET_OP_CLASSES
#include "attnc/Dialect/Attn/IR/AttnOps.cpp.inc"
