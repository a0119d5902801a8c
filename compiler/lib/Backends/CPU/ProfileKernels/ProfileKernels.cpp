//===- ProfileKernels.cpp - Time each loop nest of a kernel ---------------===//
//
// For `attnc bench --profile`: after each loop nest of a model's kernel (a
// GEMM, an attention, the loops of an element-wise op or a norm), the kernel
// reads the runtime's clock and adds the time since the previous reading to
// that nest's counter. Per kernel KERNEL, three exported globals:
//
//   KERNEL__profile_count   i64, the number of nests N
//   KERNEL__profile_ns      i64[N + 1]: the nanoseconds of each nest, summed
//                           over runs; the last entry is the previous reading
//   KERNEL__profile_sites   per nest "what\tline:col line:col ...\0": the
//                           value it computes and its positions in the model
//
// The counters are not atomic: a profiled model must not run twice at once.
//
//===----------------------------------------------------------------------===//

#include "../Passes.h"
#include "../RuntimeFunctions.h"
#include "../SourceLocations.h"

namespace attnc {
#define GEN_PASS_DEF_PROFILEKERNELS
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// A loop nest, or the call of a Halide pipeline (a run of them).
bool isNest(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op))
    return call.getCallee() == attnc::kCallHalide;
  return isa<scf::ForOp, scf::ParallelOp, scf::WhileOp>(op);
}

/// The loop nests of `block`, looking into the regions of ops that are not
/// nests themselves (the scf.if that guards a kernel's body).
void collectNests(Block &block, SmallVectorImpl<Operation *> &nests) {
  for (Operation &op : block) {
    if (isNest(&op)) {
      nests.push_back(&op);
      continue;
    }
    for (Region &region : op.getRegions())
      for (Block &inner : region)
        collectNests(inner, nests);
  }
}

struct ProfileKernelsPass : attnc::impl::ProfileKernelsBase<ProfileKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto kernel : llvm::to_vector(module.getOps<func::FuncOp>()))
      if (attnc::isModelKernel(kernel))
        instrument(module, kernel);
  }

  void instrument(ModuleOp module, func::FuncOp kernel) {
    SmallVector<Operation *> nests;
    collectNests(kernel.front(), nests);
    MLIRContext *ctx = &getContext();
    Location loc = kernel.getLoc();
    Type i64 = IntegerType::get(ctx, 64), ptr = LLVM::LLVMPointerType::get(ctx);
    const int64_t n = static_cast<int64_t>(nests.size());
    std::string base = (kernel.getName() + "__profile").str();

    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    mb.create<LLVM::GlobalOp>(loc, i64, /*isConstant=*/true, LLVM::Linkage::External,
                              base + "_count", mb.getI64IntegerAttr(n));
    auto countersType = LLVM::LLVMArrayType::get(i64, n + 1);
    auto zeros = RankedTensorType::get({n + 1}, i64);
    mb.create<LLVM::GlobalOp>(loc, countersType, /*isConstant=*/false, LLVM::Linkage::External,
                              base + "_ns",
                              DenseElementsAttr::get(zeros, mb.getI64IntegerAttr(0)));
    std::string sites;
    for (Operation *nest : nests) {
      sites += attnc::describeLocation(nest->getLoc()) + '\t';
      for (auto [line, col] : attnc::sourcePositions(nest->getLoc()))
        sites += std::to_string(line) + ":" + std::to_string(col) + " ";
      sites += '\0';
    }
    sites += '\0';
    mb.create<LLVM::GlobalOp>(loc, LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), sites.size()),
                              /*isConstant=*/true, LLVM::Linkage::External, base + "_sites",
                              mb.getStringAttr(sites));
    func::FuncOp now =
        attnc::declareRuntimeFunction(module, "attnc_profile_now", FunctionType::get(ctx, {}, {i64}));

    // counters[i] += now - counters[n]; counters[n] = now.
    auto slot = [&](OpBuilder &b, int64_t i) -> Value {
      Value counters = b.create<LLVM::AddressOfOp>(loc, ptr, base + "_ns");
      return b.create<LLVM::GEPOp>(loc, ptr, countersType, counters,
                                   ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    };
    auto read = [&](OpBuilder &b) { return b.create<func::CallOp>(loc, now).getResult(0); };
    OpBuilder b = OpBuilder::atBlockBegin(&kernel.front());
    b.create<LLVM::StoreOp>(loc, read(b), slot(b, n));
    for (auto [i, nest] : llvm::enumerate(nests)) {
      b.setInsertionPointAfter(nest);
      Value t = read(b);
      Value previous = b.create<LLVM::LoadOp>(loc, i64, slot(b, n));
      Value counter = slot(b, static_cast<int64_t>(i));
      Value sum = b.create<LLVM::AddOp>(loc, b.create<LLVM::LoadOp>(loc, i64, counter),
                                        b.create<LLVM::SubOp>(loc, t, previous));
      b.create<LLVM::StoreOp>(loc, sum, counter);
      b.create<LLVM::StoreOp>(loc, t, slot(b, n));
    }
  }
};

} // namespace
