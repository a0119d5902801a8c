//===- LinearCSE.cpp - Common subexpressions in linear time ---------------===//
//
// MLIR's CSE hashes an operation without its regions, so every linalg.generic
// of one shape over the same operands (a model's N element-wise outputs of
// one input) falls into one bucket, and each is compared region by region
// with all the others before it: time quadratic in N. The repeats that
// matter after the lowering to linalg are region-free (constants, dims,
// empty tensors, index arithmetic), so this pass merges only those, with a
// scoped table that follows dominance through nested single-block regions:
// one lookup per operation.
//
//===----------------------------------------------------------------------===//

#include "attnc/Conversion/Passes.h"

#include "mlir/IR/PatternMatch.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/ScopedHashTable.h"

namespace attnc {
#define GEN_PASS_DEF_LINEARCSE
#include "attnc/Conversion/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// Region-free operations compared by name, attributes, types and operands.
struct EquivalentOp : llvm::DenseMapInfo<Operation *> {
  static unsigned getHashValue(const Operation *op) {
    return OperationEquivalence::computeHash(
        const_cast<Operation *>(op), OperationEquivalence::directHashValue,
        OperationEquivalence::ignoreHashValue, OperationEquivalence::IgnoreLocations);
  }
  static bool isEqual(const Operation *a, const Operation *b) {
    if (a == b)
      return true;
    if (a == getEmptyKey() || a == getTombstoneKey() || b == getEmptyKey() ||
        b == getTombstoneKey())
      return false;
    return OperationEquivalence::isEquivalentTo(const_cast<Operation *>(a),
                                                const_cast<Operation *>(b),
                                                OperationEquivalence::IgnoreLocations);
  }
};

using KnownOps = llvm::ScopedHashTable<Operation *, Operation *, EquivalentOp>;

bool isMergeable(Operation *op) {
  return op->getNumRegions() == 0 && op->getNumResults() != 0 && isMemoryEffectFree(op);
}

void visitRegions(Operation *op, KnownOps &known, RewriterBase &rewriter,
                  SmallVectorImpl<Operation *> &dead);

/// Merges the block's mergeable operations with equal ones before them in
/// it or in a block that encloses it, then visits its operations' regions.
/// (A block of a multi-block region gets a scope of its own, so nothing
/// defined in one of its blocks is reused in another.)
void visit(Block &block, KnownOps &known, RewriterBase &rewriter,
           SmallVectorImpl<Operation *> &dead) {
  KnownOps::ScopeTy scope(known);
  for (Operation &op : block) {
    if (isMergeable(&op)) {
      if (Operation *earlier = known.lookup(&op)) {
        rewriter.replaceAllOpUsesWith(&op, earlier->getResults());
        dead.push_back(&op);
        continue;
      }
      known.insert(&op, &op);
    }
    if (op.hasTrait<OpTrait::IsIsolatedFromAbove>()) {
      KnownOps own; // Nothing from outside may be used inside.
      visitRegions(&op, own, rewriter, dead);
    } else {
      visitRegions(&op, known, rewriter, dead);
    }
  }
}

void visitRegions(Operation *op, KnownOps &known, RewriterBase &rewriter,
                  SmallVectorImpl<Operation *> &dead) {
  for (Region &region : op->getRegions())
    for (Block &block : region)
      visit(block, known, rewriter, dead);
}

struct LinearCSEPass : attnc::impl::LinearCSEBase<LinearCSEPass> {
  void runOnOperation() override {
    KnownOps known;
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> dead;
    visitRegions(getOperation(), known, rewriter, dead);
    for (Operation *op : dead)
      rewriter.eraseOp(op);
  }
};

} // namespace
