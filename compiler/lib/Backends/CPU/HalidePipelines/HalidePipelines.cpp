//===- HalidePipelines.cpp - Element-wise loop nests as Halide calls ------===//
//
// Each region of a kernel (a run of fills, element-wise generics and
// reductions that Halide can take, see RegionBuilder) becomes the Halide pipeline KERNEL__halideN,
// compiled to an object now, and a call
//   attnc_kernel_call_halide(ctx, KERNEL__halideN_argv, layout, operands)
// where `operands` is a stack struct of the memref descriptors of the
// region's inputs, then its scalars (a word each), then its outputs, and
// `layout` one of i64s: the operand count, the flags (1: the pipeline
// computes indices in 32 bits), then per operand its rank (-1: a scalar),
// Halide type code (0: int, 2: float) and bits.
// The runtime turns the descriptors into Halide's buffers
// (runtime/src/halide_glue.c). Buffers only the region used are not
// allocated any more: their values are computed where they are read.
//
//===----------------------------------------------------------------------===//

#include "../Passes.h"
#include "../Records.h"
#include "../RuntimeFunctions.h"

#include "attnc/Backends/Halide/Pipelines.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SetVector.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace attnc {
#define GEN_PASS_DEF_HALIDEPIPELINES
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;
using namespace attnc;

namespace {

/// Halide's type code and bits of a buffer's element type or a scalar's
/// type (an integer or index travels as 64 bits).
std::pair<int64_t, int64_t> halideTypeOf(Type type) {
  constexpr int64_t kInt = 0, kFloat = 2;
  if (isa<FloatType>(type))
    return {kFloat, type.getIntOrFloatBitWidth()};
  return {kInt, 64};
}

/// The scalar `v` as the word the runtime passes on: an integer or index
/// sign-extended to i64, an f32's bits in the low half.
Value scalarWord(OpBuilder &b, Location loc, Value v) {
  Type i64 = b.getI64Type();
  if (v.getType().isIndex())
    return b.create<arith::IndexCastOp>(loc, i64, v);
  if (v.getType().isF32())
    return b.create<arith::ExtUIOp>(loc, i64, b.create<arith::BitcastOp>(loc, b.getI32Type(), v));
  if (v.getType().getIntOrFloatBitWidth() < 64)
    return b.create<arith::ExtSIOp>(loc, i64, v);
  return v;
}

/// Whether a region may name `v`: a kernel argument or a buffer the kernel
/// allocates, never a view (which may alias another buffer).
bool isWholeBuffer(Value v, Block &body) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner() == &body;
  auto alloc = v.getDefiningOp<memref::AllocOp>();
  return alloc && alloc->getBlock() == &body;
}

/// The regions of a kernel's body: maximal runs of the loop nests Halide
/// takes (fills, element-wise generics, reductions, comprehensions), with
/// only side-effect-free ops (and allocations) between them. A region ends
/// before a nest that would overwrite a buffer the region read as input; a
/// nest that writes the buffer it reads first stays out, and so does a
/// reduction whose start (its output's contents) the region has not
/// written. A nest that writes a kernel argument the region wrote, or needs
/// the extent of one (to load from it, or to run a reduction over it),
/// starts a region.
class RegionBuilder {
public:
  explicit RegionBuilder(Block &body) : body(body) {}

  SmallVector<halide::PipelineRegion> build() {
    for (Operation &op : body) {
      if (admits(&op)) {
        if (!tryAdd(&op)) {
          flush();
          if (!tryAdd(&op))
            flush();
        }
      } else if (!isMemoryEffectFree(&op) && !isa<memref::AllocOp>(op)) {
        flush();
      }
    }
    flush();
    return std::move(regions);
  }

private:
  bool admits(Operation *op) {
    return isa<linalg::GenericOp, linalg::FillOp>(op) && halide::whyNotAPipeline(op).empty() &&
           llvm::all_of(cast<DestinationStyleOpInterface>(op).getDpsInputOperands(),
                        [&](OpOperand *o) {
                          return !isa<MemRefType>(o->get().getType()) ||
                                 isWholeBuffer(o->get(), body);
                        }) &&
           llvm::all_of(halide::buffersLoaded(op),
                        [&](Value v) { return isWholeBuffer(v, body); }) &&
           isWholeBuffer(cast<DestinationStyleOpInterface>(op).getDpsInitOperand(0)->get(), body);
  }

  bool tryAdd(Operation *op) {
    auto dps = cast<DestinationStyleOpInterface>(op);
    Value out = dps.getDpsInitOperand(0)->get();
    // What it reads: its input buffers, with reduction loops its output
    // (where each reduction starts), and the buffers its body loads from.
    SmallVector<Value> reads;
    for (OpOperand *in : dps.getDpsInputOperands())
      if (isa<MemRefType>(in->get().getType()))
        reads.push_back(in->get());
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (generic && generic.getNumReductionLoops() > 0)
      reads.push_back(out);
    SmallVector<Value> loaded = halide::buffersLoaded(op);
    reads.append(loaded);
    // A pipeline knows the extents of its inputs, its allocations and its
    // outputs (the last contents of what it writes), not those of the
    // contents a kernel argument has before its last write: each is written
    // once and not loaded from.
    if (isa<BlockArgument>(out) && written.contains(out))
      return false;
    if (llvm::any_of(loaded, [&](Value v) { return isa<BlockArgument>(v) && written.contains(v); }))
      return false;
    SmallVector<Value> newInputs;
    for (Value v : reads)
      if (!written.contains(v) && !inputs.contains(v) && !llvm::is_contained(newInputs, v))
        newInputs.push_back(v);
    if (inputs.contains(out) || llvm::is_contained(newInputs, out))
      return false;
    // A reduction runs as far as an input or an allocation extends.
    for (Value source : halide::reductionExtentSources(op))
      if (isa<BlockArgument>(source) && written.contains(source))
        return false;
    current.ops.push_back(op);
    for (Value v : newInputs)
      if (inputs.insert(v))
        current.inputs.push_back(v);
    for (Value v : halide::scalarsUsed(op))
      if (!llvm::is_contained(current.scalars, v))
        current.scalars.push_back(v);
    written.insert(out);
    return true;
  }

  /// Closes the current region: its outputs are the buffers it writes that
  /// are the kernel's or are used after it.
  void flush() {
    if (!current.ops.empty()) {
      llvm::SmallPtrSet<Operation *, 8> members(current.ops.begin(), current.ops.end());
      for (Value buffer : written) {
        // (A load inside a member's body is the member's use.)
        bool usedElsewhere = llvm::any_of(buffer.getUsers(), [&](Operation *user) {
          return !members.contains(body.findAncestorOpInBlock(*user)) &&
                 !isa<memref::DeallocOp>(user);
        });
        if (isa<BlockArgument>(buffer) || usedElsewhere)
          current.outputs.push_back(buffer);
      }
      regions.push_back(std::move(current));
    }
    current = {};
    written.clear();
    inputs.clear();
  }

  Block &body;
  SmallVector<halide::PipelineRegion> regions;
  halide::PipelineRegion current;
  llvm::SetVector<Value> written, inputs;
};

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
      // Only the kernel's own loop nests: one inside another loop would be
      // called once per iteration.
      for (halide::PipelineRegion &region : RegionBuilder(kernel.getBody().front()).build()) {
        std::string name = (kernel.getName() + "__halide" + Twine(objects.size())).str();
        std::string path;
        if (failed(compile(region, name, target, path)))
          return signalPassFailure();
        objects.push_back(StringAttr::get(&getContext(), path));
        replaceByCall(region, kernel, name);
      }
    }
    if (!objects.empty())
      module->setAttr(halide::kObjectsAttr, ArrayAttr::get(&getContext(), objects));
  }

  LogicalResult compile(const halide::PipelineRegion &region, StringRef name,
                        const halide::PipelineTarget &target, std::string &path) {
    Operation *op = region.ops.front();
    if (objectDir.empty()) {
      SmallString<128> dir;
      if (std::error_code e = llvm::sys::fs::createUniqueDirectory("attnc-halide", dir))
        return op->emitError("cannot make a folder for the Halide pipelines: ") << e.message();
      objectDir = std::string(dir);
    }
    SmallString<128> file(objectDir.getValue());
    llvm::sys::path::append(file, name + ".o");
    path = std::string(file);
    std::string error;
    if (!halide::compilePipeline(region, name, target, path, error))
      return op->emitError("internal error: Halide could not compile this loop nest: ") << error;
    return success();
  }

  /// The region's generics become one call, where the last of them was;
  /// buffers only the region used go.
  void replaceByCall(const halide::PipelineRegion &region, func::FuncOp kernel, StringRef name) {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    Operation *last = region.ops.back();
    // The call stands for every nest of the region (--profile names them).
    SmallVector<Location> locations;
    for (Operation *op : region.ops)
      locations.push_back(op->getLoc());
    Location loc = FusedLoc::get(ctx, locations);
    Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = IntegerType::get(ctx, 64);
    OpBuilder b(last);

    SmallVector<Value> operands(region.inputs);
    for (Value v : region.scalars)
      operands.push_back(scalarWord(b, loc, v));
    operands.append(region.outputs.begin(), region.outputs.end());
    LLVMTypeConverter types(ctx);
    LLVM::LLVMStructType descriptors = recordType(types, operands);
    Value operandSlot = allocateRecord(b, loc, descriptors);
    storeRecord(b, loc, descriptors, operands, operandSlot);

    bool narrow = llvm::any_of(region.ops, halide::computesIndices);
    SmallVector<Value> words{b.create<LLVM::ConstantOp>(loc, i64, operands.size()),
                             b.create<LLVM::ConstantOp>(loc, i64, narrow ? 1 : 0)};
    auto describe = [&](int64_t rank, Type type) {
      auto [code, bits] = halideTypeOf(type);
      for (int64_t w : {rank, code, bits})
        words.push_back(b.create<LLVM::ConstantOp>(loc, i64, w));
    };
    for (Value v : region.inputs)
      describe(cast<MemRefType>(v.getType()).getRank(), cast<MemRefType>(v.getType()).getElementType());
    for (Value v : region.scalars)
      describe(-1, v.getType());
    for (Value v : region.outputs)
      describe(cast<MemRefType>(v.getType()).getRank(), cast<MemRefType>(v.getType()).getElementType());
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
    llvm::SetVector<Operation *> allocations;
    for (Operation *op : region.ops) {
      auto dps = cast<DestinationStyleOpInterface>(op);
      if (Operation *alloc = dps.getDpsInitOperand(0)->get().getDefiningOp())
        allocations.insert(alloc);
      op->erase();
    }
    for (Operation *alloc : allocations) {
      if (!llvm::all_of(alloc->getUsers(), [](Operation *u) { return isa<memref::DeallocOp>(u); }))
        continue;
      for (Operation *dealloc : llvm::make_early_inc_range(alloc->getUsers()))
        dealloc->erase();
      alloc->erase();
    }
  }
};

} // namespace
