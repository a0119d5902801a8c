//===- SeparateInitTensors.cpp - Bounded sharing of tensor.empty ----------===//
//
// CSE merges equal `tensor.empty` ops, and equal `linalg.fill`s of them, so
// that one value becomes the destination of every op of its shape. That lets
// One-Shot Bufferize write an op's result into the buffer of an earlier one
// that is dead by then; but all those destinations alias, and the in-place
// analysis compares every write into them with every other: a model of N such
// ops took time cubic in N. So each such value keeps at most kUsesPerCopy
// uses, consecutive in program order; the later ones get copies. A model
// below that bound is unchanged.
//
//===----------------------------------------------------------------------===//

#include "attnc/Conversion/Passes.h"

#include "llvm/ADT/MapVector.h"

namespace attnc {
#define GEN_PASS_DEF_SEPARATEINITTENSORS
#include "attnc/Conversion/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// Enough for the reuse of buffers along a model's chains, few enough that the
/// in-place analysis stays linear in the number of ops.
constexpr size_t kUsesPerCopy = 32;

/// A tensor.empty, a linalg.fill of one, or a read-only view of an argument
/// (a to_tensor that is not writable): an op whose copies are equal.
Operation *initTensorOp(Value v) {
  Operation *def = v.getDefiningOp();
  if (isa_and_nonnull<tensor::EmptyOp>(def))
    return def;
  if (auto view = dyn_cast_or_null<bufferization::ToTensorOp>(def))
    return view.getWritable() ? nullptr : def;
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(def))
    if (fill.getNumResults() == 1 && fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>())
      return def;
  return nullptr;
}

/// A copy of `op` beside it; a fill's copy fills a copy of its empty tensor.
Operation *copyBeside(Operation *op) {
  OpBuilder b(op);
  auto fill = dyn_cast<linalg::FillOp>(op);
  if (!fill)
    return b.clone(*op);
  OpOperand &out = fill.getDpsInitsMutable()[0];
  IRMapping map;
  map.map(out.get(), b.clone(*out.get().getDefiningOp())->getResult(0));
  return b.clone(*op, map);
}

struct SeparateInitTensorsPass
    : attnc::impl::SeparateInitTensorsBase<SeparateInitTensorsPass> {
  void runOnOperation() override {
    llvm::MapVector<Operation *, SmallVector<OpOperand *>> uses;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      for (OpOperand &operand : op->getOpOperands())
        if (Operation *init = initTensorOp(operand.get()))
          uses[init].push_back(&operand);
    });
    for (auto &[init, operands] : uses)
      for (size_t first = kUsesPerCopy; first < operands.size(); first += kUsesPerCopy) {
        Value copy = copyBeside(init)->getResult(0);
        for (size_t i = first; i < std::min(first + kUsesPerCopy, operands.size()); ++i)
          operands[i]->set(copy);
      }
  }
};

} // namespace
