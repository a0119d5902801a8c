//===- WrapKernels.cpp - The CPU kernel's calling convention --------------===//

#include "../Passes.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

namespace attnc {
#define GEN_PASS_DEF_WRAPKERNELS
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

struct WrapKernelsPass : attnc::impl::WrapKernelsBase<WrapKernelsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    auto name = DictionaryAttr::get(
        ctx, {NamedAttribute(StringAttr::get(ctx, attnc::attn::kNameAttr), StringAttr::get(ctx, "ctx"))});
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      if (!f->removeAttr(attnc::attn::kModelAttr))
        continue;
      f.insertArgument(0, ptr, name, f.getLoc());
    }
  }
};

} // namespace
