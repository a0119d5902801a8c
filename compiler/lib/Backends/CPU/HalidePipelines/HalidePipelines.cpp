//===- HalidePipelines.cpp - Element-wise loop nests as Halide calls ------===//
//
// Each element-wise linalg.generic of a kernel that Halide can take becomes
// the Halide pipeline KERNEL__halideN, compiled to an object now, and a call
//   attnc_kernel_call_halide(ctx, KERNEL__halideN_argv, layout, operands)
// where `operands` is a stack struct of the op's memref descriptors (inputs,
// then the output) and `layout` one of i64s: the operand count, then per
// operand its rank, Halide type code (2: float) and bits. The runtime turns
// the descriptors into Halide's buffers (runtime/src/halide_glue.c).
//
//===----------------------------------------------------------------------===//

#include "../Passes.h"
#include "../Records.h"
#include "../RuntimeFunctions.h"

#include "attnc/Backends/Halide/Pipelines.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace attnc {
#define GEN_PASS_DEF_HALIDEPIPELINES
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;

namespace {

constexpr llvm::StringLiteral kCallHalide = "attnc_kernel_call_halide";

/// Halide's type code and bits of a buffer's element type.
std::pair<int64_t, int64_t> halideTypeOf(Type element) {
  constexpr int64_t kFloat = 2;
  return {kFloat, element.getIntOrFloatBitWidth()};
}

struct HalidePipelinesPass : public attnc::impl::HalidePipelinesBase<HalidePipelinesPass> {
  using HalidePipelinesBase::HalidePipelinesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    halide::PipelineTarget target{halideTarget.empty() ? halide::halideHostTarget()
                                                       : std::string(halideTarget),
                                  vectorWidth};
    SmallVector<Attribute> objects;
    if (auto listed = module->getAttrOfType<ArrayAttr>(halide::kObjectsAttr))
      objects.append(listed.begin(), listed.end());
    for (auto kernel : module.getOps<func::FuncOp>()) {
      if (!isModelKernel(kernel))
        continue;
      SmallVector<linalg::GenericOp> candidates;
      // Only the kernel's own loop nests: one inside another loop would be
      // called once per iteration.
      for (auto op : kernel.getBody().getOps<linalg::GenericOp>())
        if (halide::whyNotAPipeline(op).empty())
          candidates.push_back(op);
      for (linalg::GenericOp op : candidates) {
        std::string name = (kernel.getName() + "__halide" + Twine(objects.size())).str();
        std::string path;
        if (failed(compile(op, name, target, path)))
          return signalPassFailure();
        objects.push_back(StringAttr::get(&getContext(), path));
        replaceByCall(op, kernel, name);
      }
    }
    if (!objects.empty())
      module->setAttr(halide::kObjectsAttr, ArrayAttr::get(&getContext(), objects));
  }

  LogicalResult compile(linalg::GenericOp op, StringRef name,
                        const halide::PipelineTarget &target, std::string &path) {
    if (objectDir.empty()) {
      SmallString<128> dir;
      if (std::error_code e = llvm::sys::fs::createUniqueDirectory("attnc-halide", dir))
        return op.emitError("cannot make a folder for the Halide pipelines: ") << e.message();
      objectDir = std::string(dir);
    }
    SmallString<128> file(objectDir.getValue());
    llvm::sys::path::append(file, name + ".o");
    path = std::string(file);
    std::string error;
    if (!halide::compilePipeline(op, name, target, path, error))
      return op.emitError("internal error: Halide could not compile this loop nest: ") << error;
    return success();
  }

  void replaceByCall(linalg::GenericOp op, func::FuncOp kernel, StringRef name) {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    Location loc = op.getLoc();
    Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = IntegerType::get(ctx, 64);
    OpBuilder b(op);

    SmallVector<Value> operands = op->getOperands();
    LLVMTypeConverter types(ctx);
    LLVM::LLVMStructType descriptors = recordType(types, operands);
    Value operandSlot = allocateRecord(b, loc, descriptors);
    storeRecord(b, loc, descriptors, operands, operandSlot);

    SmallVector<Value> words{b.create<LLVM::ConstantOp>(loc, i64, operands.size())};
    for (Value v : operands) {
      auto type = cast<MemRefType>(v.getType());
      auto [code, bits] = halideTypeOf(type.getElementType());
      for (int64_t w : {type.getRank(), code, bits})
        words.push_back(b.create<LLVM::ConstantOp>(loc, i64, w));
    }
    LLVM::LLVMStructType layout = recordType(types, words);
    Value layoutSlot = allocateRecord(b, loc, layout);
    storeRecord(b, loc, layout, words, layoutSlot);

    std::string argv = (name + "_argv").str();
    if (!module.lookupSymbol(argv)) {
      OpBuilder top = OpBuilder::atBlockEnd(module.getBody());
      top.create<LLVM::LLVMFuncOp>(loc, argv,
                                   LLVM::LLVMFunctionType::get(IntegerType::get(ctx, 32), {ptr}));
    }
    Value pipeline = b.create<LLVM::AddressOfOp>(loc, ptr, argv);
    func::FuncOp call = declareRuntimeFunction(
        module, kCallHalide, FunctionType::get(ctx, {ptr, ptr, ptr, ptr}, {}));
    b.create<func::CallOp>(loc, call,
                           ValueRange{kernel.getArgument(0), pipeline, layoutSlot, operandSlot});
    op.erase();
  }
};

} // namespace
