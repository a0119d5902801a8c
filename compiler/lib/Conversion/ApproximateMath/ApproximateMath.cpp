//===- ApproximateMath.cpp - Polynomial math at -O1 and above -------------===//
//
// exp, tanh, erf (and through them sigmoid, gelu, silu, softplus) become
// MLIR's polynomial approximations, which vectorise. sin, cos and log stay
// calls of the C library: the approximations reduce sin's and cos's
// argument with an f32 pi, whose error grows with |x| (3e-4 at 1e4, the
// positions of a long RoPE table; values off by 1e35 beyond 1e10), and take
// log of a subnormal for that of the smallest normal. docs/usage.md lists
// each function's measured error (tests/e2e/math).
//
//===----------------------------------------------------------------------===//

#include "attnc/Conversion/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
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
    // Every math op but those kept exact; the approximations of the others
    // create none of those.
    llvm::SmallVector<mlir::Operation *> ops;
    getOperation()->walk([&](mlir::Operation *op) {
      if (llvm::isa<mlir::math::MathDialect>(op->getDialect()) &&
          !llvm::isa<mlir::math::SinOp, mlir::math::CosOp, mlir::math::LogOp>(op))
        ops.push_back(op);
    });
    mlir::GreedyRewriteConfig config;
    config.strictMode = mlir::GreedyRewriteStrictness::ExistingAndNewOps;
    (void)mlir::applyOpPatternsAndFold(ops, std::move(patterns), config);
  }
};
} // namespace
