//===- ApproximateMath.cpp - Polynomial math at -O1 and above -------------===//

#include "attnc/Conversion/Passes.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attnc {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "attnc/Conversion/Passes.h.inc"
} // namespace attnc

namespace {
struct ApproximateMathPass : attnc::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    mlir::RewritePatternSet patterns(&getContext());
    mlir::populateMathPolynomialApproximationPatterns(patterns);
    (void)mlir::applyPatternsAndFoldGreedily(getOperation(), std::move(patterns));
  }
};
} // namespace
