//===- Admission.cpp - Which loop nests a Halide pipeline takes -----------===//
//
// whyNotAPipeline and what the CPU backend asks of an admitted loop nest
// (the buffers it reads, the numbers it needs, whether it computes indices).
// MLIR only: the answers must agree with what GenericToHalide.cpp translates.
//
//===----------------------------------------------------------------------===//

#include "IRFacts.h"

#include "attnc/Backends/Halide/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "llvm/ADT/SetVector.h"

#include <limits>

using namespace mlir;

namespace attnc::halide {

bool isF32Buffer(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getElementType().isF32();
}

bool isIntegerLike(Type t) {
  return t.isIndex() || (t.isSignlessInteger() && t.getIntOrFloatBitWidth() <= 64);
}

bool isScalarType(Type t) { return t.isF32() || isIntegerLike(t); }

bool isScalarOpKnown(Operation &op) {
  bool known =
      isa<arith::ConstantOp, arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
          arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp, arith::CmpFOp, arith::SelectOp,
          math::ExpOp, math::LogOp, math::TanhOp, math::SqrtOp, math::RsqrtOp, math::AbsFOp,
          math::FloorOp, math::CeilOp, math::FmaOp>(op) ||
      isa<arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::DivSIOp, arith::RemSIOp,
          arith::DivUIOp, arith::RemUIOp, arith::FloorDivSIOp, arith::CeilDivSIOp,
          arith::MinSIOp, arith::MaxSIOp, arith::MinUIOp, arith::MaxUIOp, arith::AndIOp,
          arith::OrIOp, arith::XOrIOp, arith::CmpIOp, arith::IndexCastOp, arith::IndexCastUIOp,
          arith::ExtSIOp, arith::ExtUIOp, arith::TruncIOp, arith::SIToFPOp, arith::UIToFPOp,
          arith::FPToSIOp>(op);
  return known && llvm::all_of(op.getResultTypes(), isScalarType) &&
         llvm::all_of(op.getOperandTypes(), isScalarType);
}

std::optional<float> outsideConstant(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantFloatOp>(); c && c.getType().isF32())
    return c.value().convertToFloat();
  return std::nullopt;
}

std::optional<int64_t> integerConstant(Value v) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  auto value = c ? dyn_cast<IntegerAttr>(c.getValue()) : IntegerAttr();
  if (!value || !isIntegerLike(v.getType()))
    return std::nullopt;
  int64_t n = v.getType().isInteger(1) ? value.getValue().getZExtValue() : value.getInt();
  if (n < std::numeric_limits<int32_t>::min() || n > std::numeric_limits<int32_t>::max())
    return std::nullopt;
  return n;
}

SmallVector<scf::ForOp> loopChain(scf::ForOp outer) {
  SmallVector<scf::ForOp> nest{outer};
  while (true) {
    Block *body = nest.back().getBody();
    auto inner = dyn_cast<scf::ForOp>(body->front());
    if (!inner || body->getOperations().size() != 2 || inner.getNumRegionIterArgs() != 1 ||
        inner.getInitArgs()[0] != nest.back().getRegionIterArgs()[0] ||
        body->getTerminator()->getOperand(0) != inner.getResult(0))
      return nest;
    nest.push_back(inner);
  }
}

namespace {

std::string whyNotAFill(linalg::FillOp fill) {
  if (!fill.hasPureBufferSemantics() || !isF32Buffer(fill.getDpsInitOperand(0)->get()))
    return "it does not fill an f32 buffer";
  if (!outsideConstant(fill.getInputs()[0]))
    return "its value is not a constant";
  return "";
}

/// Whether `v` is defined inside `op`'s body.
bool isInside(Value v, linalg::GenericOp op) {
  return op.getRegion().isAncestor(v.getParentRegion());
}

std::string whyNotABody(Block &block, linalg::GenericOp op, bool inLoop);

/// Why the scf.for nest `outer` in `op`'s body has no Halide form, or "".
std::string whyNotALoop(scf::ForOp outer, linalg::GenericOp op, bool inLoop) {
  if (op.getNumReductionLoops() > 0)
    return "its body holds a loop beside its reduction loops";
  if (inLoop)
    return "its body holds a loop in a loop that is not part of one nest";
  SmallVector<scf::ForOp> nest = loopChain(outer);
  for (scf::ForOp loop : nest) {
    if (loop.getNumRegionIterArgs() != 1 || !isScalarType(loop.getResult(0).getType()))
      return "a loop of its body does not carry exactly one number";
    std::optional<int64_t> step = integerConstant(loop.getStep());
    if (!step || *step <= 0)
      return "a loop of its body has no constant positive step";
    if (isInside(loop.getLowerBound(), op) || isInside(loop.getUpperBound(), op))
      return "a loop of its body has bounds that depend on its indices";
    if (loop.getInductionVar().use_empty())
      return "a loop of its body does not use its index";
  }
  return whyNotABody(*nest.back().getBody(), op, /*inLoop=*/true);
}

std::string whyNotABody(Block &block, linalg::GenericOp op, bool inLoop) {
  for (Operation &inner : block) {
    std::string why;
    if (auto load = dyn_cast<memref::LoadOp>(inner)) {
      if (!isF32Buffer(load.getMemRef()))
        why = "its body loads from a buffer that is not f32";
      else if (isInside(load.getMemRef(), op))
        why = "its body loads from a buffer it defines";
      else if (load.getMemRef() == op.getDpsInitOperand(0)->get())
        why = "its body loads from the buffer it writes";
    } else if (auto dim = dyn_cast<memref::DimOp>(inner)) {
      if (isInside(dim.getSource(), op) || !integerConstant(dim.getIndex()))
        why = "its body measures a buffer it defines, or along a computed axis";
    } else if (auto loop = dyn_cast<scf::ForOp>(inner)) {
      why = whyNotALoop(loop, op, inLoop);
    } else if (auto branch = dyn_cast<scf::IfOp>(inner)) {
      if (branch.getNumResults() == 0 || !llvm::all_of(branch.getResultTypes(), isScalarType))
        why = "a conditional of its body gives no number";
      else if ((why = whyNotABody(*branch.thenBlock(), op, inLoop)).empty())
        why = whyNotABody(*branch.elseBlock(), op, inLoop);
    } else if (!isa<linalg::YieldOp, scf::YieldOp, linalg::IndexOp>(inner) &&
               !isScalarOpKnown(inner)) {
      why = ("its body holds " + inner.getName().getStringRef() + ", which has no Halide form")
                .str();
    }
    if (!why.empty())
      return why;
    for (Value v : inner.getOperands())
      if (!isInside(v, op) && !isScalarType(v.getType()) &&
          !(isa<memref::LoadOp>(inner) && v == cast<memref::LoadOp>(inner).getMemRef()) &&
          !(isa<memref::DimOp>(inner) && v == cast<memref::DimOp>(inner).getSource()))
        return "its body uses a value computed outside it";
  }
  return "";
}

std::string whyNotAGeneric(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics())
    return "its operands are not buffers";
  if (op.getNumDpsInits() != 1)
    return "it has more than one output";
  if (op.getNumLoops() == 0 || op.getNumParallelLoops() == 0)
    return "it has no parallel loop";
  for (OpOperand &operand : op->getOpOperands())
    if (!isF32Buffer(operand.get()))
      return "an operand is not an f32 buffer";
  // The output at the parallel loops, in order.
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<unsigned> parallel;
  op.getParallelDims(parallel);
  if (outMap.getNumResults() != parallel.size())
    return "its output is not written at its parallel loops in order";
  for (auto [i, e] : llvm::enumerate(outMap.getResults()))
    if (e != getAffineDimExpr(parallel[i], op.getContext()))
      return "its output is not written at its parallel loops in order";
  for (OpOperand *input : op.getDpsInputOperands())
    if (!op.getMatchingIndexingMap(input).isProjectedPermutation(/*allowZeroInResults=*/true))
      return "an input is read at a computed index";
  Block &body = op.getRegion().front();
  if (op.getNumReductionLoops() == 0 && !body.getArgument(op.getNumDpsInputs()).use_empty())
    return "it reads its output";
  if (reductionExtentSources(op).size() != op.getNumReductionLoops())
    return "no input gives the extent of a reduction loop";
  // The template vectorises along the output's innermost axis; a reduction
  // along an input's innermost axis would read it in strided gathers (until
  // a template splits the reduction into vectors, it stays with MLIR's loops).
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.getNumResults() > 0 && op.getNumReductionLoops() > 0)
      if (auto d = dyn_cast<AffineDimExpr>(map.getResults().back());
          d && op.getIteratorTypesArray()[d.getPosition()] == utils::IteratorType::reduction)
        return "it reduces along an input's innermost axis";
  }
  return whyNotABody(body, op, /*inLoop=*/false);
}

} // namespace

std::string whyNotAPipeline(Operation *op) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return whyNotAFill(fill);
  if (auto generic = dyn_cast<linalg::GenericOp>(op))
    return whyNotAGeneric(generic);
  return "it is not a linalg.generic or linalg.fill";
}

SmallVector<Value> reductionExtentSources(Operation *op) {
  SmallVector<Value> sources;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic)
    return sources;
  SmallVector<unsigned> reductionLoops;
  generic.getReductionDims(reductionLoops);
  for (unsigned d : reductionLoops) {
    AffineExpr dim = getAffineDimExpr(d, op->getContext());
    for (OpOperand *input : generic.getDpsInputOperands())
      if (generic.getMatchingIndexingMap(input).getResultPosition(dim)) {
        sources.push_back(input->get());
        break;
      }
  }
  return sources;
}

SmallVector<Value> buffersLoaded(Operation *op) {
  llvm::SetVector<Value> buffers;
  op->walk([&](memref::LoadOp load) { buffers.insert(load.getMemRef()); });
  op->walk([&](memref::DimOp dim) { buffers.insert(dim.getSource()); });
  return SmallVector<Value>(buffers.begin(), buffers.end());
}

SmallVector<Value> scalarsUsed(Operation *op) {
  llvm::SetVector<Value> used;
  auto use = [&](Value v) {
    if (isScalarType(v.getType()) && !outsideConstant(v) && !integerConstant(v))
      used.insert(v);
  };
  op->walk([&](Operation *inner) {
    if (inner == op)
      return;
    for (Value v : inner->getOperands())
      if (!op->getRegion(0).isAncestor(v.getParentRegion()))
        use(v);
  });
  SmallVector<Value> sized = buffersLoaded(op);
  sized.append(reductionExtentSources(op));
  sized.push_back(cast<DestinationStyleOpInterface>(op).getDpsInitOperand(0)->get());
  for (Value buffer : sized)
    if (auto alloc = buffer.getDefiningOp<memref::AllocOp>())
      for (Value size : alloc.getDynamicSizes())
        use(size);
  return SmallVector<Value>(used.begin(), used.end());
}

bool computesIndices(Operation *op) {
  bool computes = false;
  op->walk([&](Operation *inner) {
    computes |= inner != op && llvm::any_of(inner->getResultTypes(), isIntegerLike);
  });
  return computes;
}

} // namespace attnc::halide
