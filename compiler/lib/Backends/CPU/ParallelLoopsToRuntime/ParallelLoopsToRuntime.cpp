//===- ParallelLoopsToRuntime.cpp - scf.parallel on the thread pool -------===//
//
// The body of each loop moves into a function of the C signature
// `void (void *captures, int64_t begin, int64_t end)` that the runtime's
// attnc_parallel_for calls once per chunk; the loop becomes that call, with
// the function's address as a `func.constant`. Doing this at the memref
// level, with func ops, lets the upstream LLVM conversions handle the body
// and the call like any other.
//
//===----------------------------------------------------------------------===//

#include "../Passes.h"
#include "../RuntimeFunctions.h"
#include "../Records.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/RegionUtils.h"

namespace attnc {
#define GEN_PASS_DEF_PARALLELLOOPSTORUNTIME
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

struct ParallelLoopsToRuntimePass
    : attnc::impl::ParallelLoopsToRuntimeBase<ParallelLoopsToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    LLVMTypeConverter types(ctx);
    Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = IntegerType::get(ctx, 64);
    SmallVector<func::FuncOp> kernels;
    for (auto f : module.getOps<func::FuncOp>())
      if (attnc::isModelKernel(f))
        kernels.push_back(f);
    for (func::FuncOp kernel : kernels) {
      SmallVector<scf::ParallelOp> loops;
      kernel.walk([&](scf::ParallelOp p) {
        if (p.getNumLoops() == 1 && p.getNumReductions() == 0 &&
            !p->getParentOfType<scf::ParallelOp>())
          loops.push_back(p);
      });
      for (auto [n, loop] : llvm::enumerate(loops))
        if (failed(outline(loop, kernel, (kernel.getName() + "__par" + Twine(n)).str(), types,
                           ptr, i64)))
          return signalPassFailure();
    }
  }

  LogicalResult outline(scf::ParallelOp loop, func::FuncOp kernel, const std::string &name,
                        LLVMTypeConverter &types, Type ptr, Type i64) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    // Constants are rematerialised in the body rather than captured.
    SetVector<Value> used, captured;
    SmallVector<Operation *> constants;
    getUsedValuesDefinedAbove(loop.getRegion(), used);
    // The chunk maps its iterations back through the loop's bounds.
    used.insert(loop.getLowerBound()[0]);
    used.insert(loop.getStep()[0]);
    attnc::partitionUsedValues(used, constants, captured);
    Value unconvertible;
    auto record = attnc::recordType(types, captured.getArrayRef(), &unconvertible);
    if (!record)
      return loop.emitOpError("captures a value of a type with no LLVM form: ")
             << unconvertible.getType();

    // The chunk function: unpack the captures, loop over [begin, end).
    OpBuilder mb(kernel);
    mb.setInsertionPointAfter(kernel);
    auto fn = mb.create<func::FuncOp>(loc, name, FunctionType::get(ctx, {ptr, i64, i64}, {}));
    fn->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
    Block *entry = fn.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(entry);
    IRMapping inside;
    attnc::loadRecord(b, loc, record, entry->getArgument(0), captured.getArrayRef(), inside);
    for (Operation *c : constants)
      inside.map(c->getResult(0), b.clone(*c)->getResult(0));
    Value begin = b.create<arith::IndexCastOp>(loc, b.getIndexType(), entry->getArgument(1));
    Value end = b.create<arith::IndexCastOp>(loc, b.getIndexType(), entry->getArgument(2));
    auto chunk = b.create<scf::ForOp>(loc, begin, end, b.create<arith::ConstantIndexOp>(loc, 1));
    b.create<func::ReturnOp>(loc);
    // Iteration t of the chunk is lb + t * step of the loop.
    OpBuilder cb = OpBuilder::atBlockBegin(chunk.getBody());
    Value lb = inside.lookupOrDefault(loop.getLowerBound()[0]);
    Value step = inside.lookupOrDefault(loop.getStep()[0]);
    Value iv = cb.create<arith::AddIOp>(loc, lb, cb.create<arith::MulIOp>(loc, chunk.getInductionVar(), step));
    IRRewriter rewriter(ctx);
    Block &body = loop.getRegion().front();
    rewriter.eraseOp(body.getTerminator());
    Block *to = chunk.getBody();
    to->getOperations().splice(std::prev(to->end()), body.getOperations());
    rewriter.replaceAllUsesWith(body.getArgument(0), iv);
    attnc::remapOperands(chunk.getRegion(), inside);
    // Stack buffers whose sizes are known before the chunk are allocated
    // once per chunk, not once per iteration: an alloca in a loop would grow
    // the stack with every iteration. (Nested ones too: no buffer outlives
    // the iteration that allocates it.)
    SmallVector<memref::AllocaOp> hoistable;
    chunk.getBody()->walk([&](memref::AllocaOp alloca) {
      if (llvm::all_of(alloca->getOperands(), [&](Value v) {
            return !chunk->isAncestor(v.getParentBlock()->getParentOp());
          }))
        hoistable.push_back(alloca);
    });
    for (memref::AllocaOp alloca : hoistable)
      alloca->moveBefore(chunk);

    // At the loop: fill the captures on the stack and launch.
    OpBuilder lbld(loop);
    Value count = lbld.create<arith::CeilDivSIOp>(
        loc, lbld.create<arith::SubIOp>(loc, loop.getUpperBound()[0], loop.getLowerBound()[0]),
        loop.getStep()[0]);
    Value n = lbld.create<arith::IndexCastOp>(loc, i64, count);
    Value grain = lbld.create<LLVM::ConstantOp>(loc, i64, lbld.getI64IntegerAttr(1));
    if (auto threads = loop->getAttrOfType<IntegerAttr>(attnc::kMaxThreadsAttr)) {
      // ceil(count / threads) iterations per chunk, at least one.
      Value cap = lbld.create<arith::ConstantIndexOp>(loc, std::max<int64_t>(threads.getInt(), 1));
      Value perChunk = lbld.create<arith::MaxSIOp>(
          loc, lbld.create<arith::CeilDivSIOp>(loc, count, cap),
          lbld.create<arith::ConstantIndexOp>(loc, 1));
      grain = lbld.create<arith::IndexCastOp>(loc, i64, perChunk);
    } else if (auto least = loop->getAttrOfType<IntegerAttr>(attnc::kMinGrainAttr)) {
      grain = lbld.create<LLVM::ConstantOp>(loc, i64,
                                            lbld.getI64IntegerAttr(std::max<int64_t>(least.getInt(), 1)));
    }
    Value slot = attnc::allocateRecord(lbld, loc, record);
    attnc::storeRecord(lbld, loc, record, captured.getArrayRef(), slot);
    Value chunks = lbld.create<func::ConstantOp>(loc, fn.getFunctionType(), SymbolRefAttr::get(fn));
    lbld.create<func::CallOp>(loc, runtimeParallelFor(kernel, fn.getFunctionType()),
                              ValueRange{kernel.getArgument(0), n, grain, chunks, slot});
    rewriter.eraseOp(loop);
    return success();
  }

  /// The runtime's `void attnc_parallel_for(ctx, count, grain, body,
  /// captures)`, declared once in the module.
  func::FuncOp runtimeParallelFor(func::FuncOp kernel, FunctionType body) {
    Type ptr = LLVM::LLVMPointerType::get(&getContext());
    Type i64 = IntegerType::get(&getContext(), 64);
    return attnc::declareRuntimeFunction(
        kernel->getParentOfType<ModuleOp>(), "attnc_parallel_for",
        FunctionType::get(&getContext(), {ptr, i64, i64, body, ptr}, {}));
  }
};

} // namespace
