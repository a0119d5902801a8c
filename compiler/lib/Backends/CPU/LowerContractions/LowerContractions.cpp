//===- LowerContractions.cpp - attn.matmul as GEMM kernels ----------------===//
//
// Every attn.matmul becomes a packed, register-tiled GEMM (GemmKernel.cpp)
// that reads its operands through their transposes and head splits,
// computing the element-wise ops that produced them as it reads (its
// prologue), and runs the element-wise ops after it on its register tiles
// (its epilogue; ContractionForm.h).
// Comprehensions that are contractions, sum(k: a[i, k] * b[k, j]), become
// matmuls first (RaiseComprehensions.h).
//
//===----------------------------------------------------------------------===//

#include "GemmKernel.h"
#include "RaiseComprehensions.h"

#include "../Passes.h"

namespace attnc {
#define GEN_PASS_DEF_LOWERCONTRACTIONS
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;

namespace {

struct LowerContractionsPass : attnc::impl::LowerContractionsBase<LowerContractionsPass> {
  using LowerContractionsBase::LowerContractionsBase;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<attn::ComprehensionOp> comprehensions;
    getOperation().walk([&](attn::ComprehensionOp op) { comprehensions.push_back(op); });
    for (attn::ComprehensionOp op : comprehensions)
      lowering::raiseContraction(op, rewriter);
    SmallVector<attn::MatmulOp> matmuls;
    getOperation().walk([&](attn::MatmulOp op) { matmuls.push_back(op); });
    lowering::GemmTiles tiles = lowering::GemmTiles::forTarget(vectorWidth, vectorRegisters);
    for (attn::MatmulOp op : matmuls)
      lowering::buildGemm(op, lowering::findEpilogue(op), tiles, rewriter);
  }
};

} // namespace
