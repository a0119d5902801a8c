//===- FloatMinMaxToLLVM.cpp - NaN-propagating min/max as LLVM intrinsics -===//
//
// arith.maximumf/minimumf (the reductions' max and min, the online softmax's
// running maximum) become llvm.intr.maximum/minimum before arith-expand can
// turn them into compare-select chains, so that LLVM vectorises the loops
// that reduce with them.
//
//===----------------------------------------------------------------------===//

#include "../Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attnc {
#define GEN_PASS_DEF_FLOATMINMAXTOLLVM
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// `From` (arith.maximumf or minimumf) as the LLVM intrinsic `To`, on f32 and
/// vectors of it; fast-math flags are dropped (the pipeline sets none on
/// them).
template <typename From, typename To>
struct ToIntrinsic : OpRewritePattern<From> {
  using OpRewritePattern<From>::OpRewritePattern;
  LogicalResult matchAndRewrite(From op, PatternRewriter &rewriter) const override {
    if (!getElementTypeOrSelf(op.getType()).isF32())
      return failure();
    rewriter.replaceOpWithNewOp<To>(op, op.getType(), op.getLhs(), op.getRhs());
    return success();
  }
};

struct FloatMinMaxToLLVMPass : attnc::impl::FloatMinMaxToLLVMBase<FloatMinMaxToLLVMPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ToIntrinsic<arith::MaximumFOp, LLVM::MaximumOp>,
                 ToIntrinsic<arith::MinimumFOp, LLVM::MinimumOp>>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
