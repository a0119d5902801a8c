//===- PackKernelArguments.cpp - A kernel takes the runtime's argument array ===//
//
// The runtime calls a model as `NAME__entry(void **args)`: args[0] is its
// context, every other entry points at a memref descriptor
// (docs/internals/abi.md). Through MLIR's C interface that call would be
// spread over one argument per descriptor field (seven per 2-D tensor), and
// LLVM's interprocedural passes take time quadratic in the number of a
// function's arguments: a model with thousands of inputs spent minutes
// there. So the kernel takes the array itself and loads, at its start, the
// descriptors of the arguments it uses:
//
//   func.func @m(%args: !llvm.ptr) {
//     %p1 = llvm.getelementptr %args[1]; %a1 = llvm.load %p1   (a pointer)
//     %d1 = llvm.load %a1 : !llvm.struct<(ptr, ptr, i64, ...)>
//     %x = builtin.unrealized_conversion_cast %d1 to memref<?x?xf32>
//     ...
//
// The casts fold away in the LLVM conversion.
//
//===----------------------------------------------------------------------===//

#include "../Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"

namespace attnc {
#define GEN_PASS_DEF_PACKKERNELARGUMENTS
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;
using attnc::kRepeatableReadAttr;

namespace {

struct PackKernelArgumentsPass
    : attnc::impl::PackKernelArgumentsBase<PackKernelArgumentsPass> {
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (attnc::isModelKernel(f) && failed(pack(f)))
        return signalPassFailure();
  }

  LogicalResult pack(func::FuncOp kernel) {
    MLIRContext *ctx = &getContext();
    LLVMTypeConverter types(ctx);
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Block &entry = kernel.front();
    Location loc = kernel.getLoc();
    unsigned count = entry.getNumArguments();
    Value args = entry.addArgument(ptr, loc);
    IRRewriter b(ctx);
    b.setInsertionPointToStart(&entry);
    for (unsigned i = 0; i < count; ++i) {
      BlockArgument arg = entry.getArgument(i);
      if (arg.use_empty())
        continue;
      Value slot = b.create<LLVM::GEPOp>(loc, ptr, ptr, args,
                                         ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      auto pointer = b.create<LLVM::LoadOp>(loc, ptr, slot);
      pointer->setAttr(kRepeatableReadAttr, b.getUnitAttr());
      if (isa<LLVM::LLVMPointerType>(arg.getType())) {
        b.replaceAllUsesWith(arg, pointer.getResult());
        continue;
      }
      if (!isa<MemRefType>(arg.getType()))
        return kernel.emitOpError("internal error: a kernel argument of type ")
               << arg.getType() << ", neither a pointer nor a memref";
      auto descriptor = b.create<LLVM::LoadOp>(loc, types.convertType(arg.getType()), pointer);
      descriptor->setAttr(kRepeatableReadAttr, b.getUnitAttr());
      b.replaceAllUsesWith(
          arg, b.create<UnrealizedConversionCastOp>(loc, arg.getType(), descriptor.getResult())
              .getResult(0));
    }
    entry.eraseArguments(0, count);
    kernel.setFunctionType(FunctionType::get(ctx, {ptr}, {}));
    kernel.setAllArgAttrs(ArrayRef<DictionaryAttr>{DictionaryAttr::get(ctx)});
    return success();
  }
};

} // namespace
