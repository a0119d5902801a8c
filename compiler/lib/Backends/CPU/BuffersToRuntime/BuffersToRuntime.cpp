//===- BuffersToRuntime.cpp - A kernel's heap buffers from the runtime ----===//
//
// Bufferisation leaves one memref.alloc per intermediate tensor at the top
// level of a kernel, each allocated where it is first written. This pass
// moves them, and the arithmetic of their sizes, to the start of the kernel
// and replaces them by views of buffers that one runtime call allocates for
// all of them (attnc_kernel_alloc_buffers, docs/internals/abi.md):
//
//   <sizes>                                        hoisted, pure
//   %status = call @attnc_kernel_alloc_buffers(%ctx, @names, %requests, n, %buffers)
//   scf.if %status == 0 {
//     %p0 = load %buffers[0]; %v0 = memref.view (memref<?xi8> of %p0) ...
//     <the rest of the kernel, reading %v0 ... instead of the allocs>
//   }
//
// The runtime checks every size and allocation before anything runs, so a
// failure leaves the outputs untouched, and it frees the buffers after the
// run, so nothing leaks and no dealloc remains in the kernel.
//
//===----------------------------------------------------------------------===//

#include "../Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Path.h"

namespace attnc {
#define GEN_PASS_DEF_BUFFERSTORUNTIME
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kAllocBuffers = "attnc_kernel_alloc_buffers";
constexpr llvm::StringLiteral kThreadIndex = "attnc_ctx_thread_index";

/// What a buffer holds, for the runtime's messages: "'h' at encoder.attn:29:11"
/// when the source location carries a name, else "the value at ...".
std::string describe(Location loc) {
  std::string name;
  FileLineColLoc file;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l); named && name.empty())
      name = named.getName().str();
    if (auto f = dyn_cast<FileLineColLoc>(l); f && !file)
      file = f;
    return WalkResult::advance();
  });
  std::string out = name.empty() ? "the value" : "'" + name + "'";
  if (file)
    out += " at " + llvm::sys::path::filename(file.getFilename().getValue()).str() + ":" +
           std::to_string(file.getLine()) + ":" + std::to_string(file.getColumn());
  return out;
}

/// The element type as the language names it.
std::string elementTypeName(Type t) {
  if (t.isInteger(1))
    return "bool";
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

/// Whether `v` is, or is a view of, one of `buffers`.
bool viewsOneOf(Value v, const llvm::SmallPtrSetImpl<Value> &buffers) {
  while (true) {
    if (buffers.contains(v))
      return true;
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      v = view.getViewSource();
    else if (auto meta = dyn_cast<memref::ExtractStridedMetadataOp>(def))
      v = meta.getSource();
    else if (auto cast = dyn_cast<memref::CastOp>(def))
      v = cast.getSource();
    else
      return false;
  }
}

/// A buffer the pass takes over: a memref.alloc, or a memref.alloca whose
/// size is known only at run time or is large (the stack must not grow with
/// the input or the schedule).
struct Buffer {
  Operation *op;
  MemRefType type;
  SmallVector<Value> dynamicSizes;
  int64_t elementBytes;
  /// Allocated inside a loop: one copy per thread, reused by each iteration.
  bool perThread;
};

/// The most a stack buffer of a kernel may take. A task's tiles take a few
/// of them (16 KiB each with the default schedule), so a kernel's stack stays
/// within a few hundred KiB whatever the schedule and the input.
constexpr int64_t kMaxStackBufferBytes = 64 << 10;

/// Whether a stack buffer may stay on the stack: its size is known and small.
bool fitsTheStack(MemRefType type, const DataLayout &layout) {
  if (!type.hasStaticShape())
    return false;
  int64_t bytes = static_cast<int64_t>(layout.getTypeSize(type.getElementType()));
  for (int64_t extent : type.getShape())
    if (__builtin_mul_overflow(bytes, extent, &bytes))
      return false;
  return bytes <= kMaxStackBufferBytes;
}

/// Whether `op` may be moved or copied to the start of the kernel to compute
/// a buffer's size there: pure arithmetic, extents, reads of the dims.
bool isSizeArithmetic(Operation *op, Value dims) {
  auto load = dyn_cast<memref::LoadOp>(op);
  return op->getNumRegions() == 0 &&
         (isMemoryEffectFree(op) || (load && load.getMemRef() == dims));
}

/// Where the sizes come from: ops of the entry block that move to its start
/// (`moved`), and ops inside loops that are copied there (`copied`), each
/// set operands first.
struct SizeComputation {
  Block &entry;
  Value dims;
  llvm::SetVector<Operation *> moved, copied;

  /// Adds what computes `v`; false when it depends on a loop's iteration.
  bool add(Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getOwner() == &entry;
    Operation *def = v.getDefiningOp();
    auto &set = def->getBlock() == &entry ? moved : copied;
    if (set.contains(def))
      return true;
    if (!isSizeArithmetic(def, dims))
      return false;
    for (Value operand : def->getOperands())
      if (!add(operand))
        return false;
    set.insert(def);
    return true;
  }
};

struct BuffersToRuntimePass : attnc::impl::BuffersToRuntimeBase<BuffersToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> kernels;
    for (auto f : module.getOps<func::FuncOp>())
      if (attnc::isModelKernel(f))
        kernels.push_back(f);
    SymbolTable symbols(module);
    for (func::FuncOp kernel : kernels)
      if (failed(convert(kernel, symbols)))
        return signalPassFailure();
  }

  /// The runtime function `name`, declared once per module.
  func::FuncOp runtimeFunction(ModuleOp module, SymbolTable &symbols, StringRef name,
                               FunctionType type) {
    if (auto f = symbols.lookup<func::FuncOp>(name))
      return f;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto f = b.create<func::FuncOp>(module.getLoc(), name, type);
    f.setPrivate();
    symbols.insert(f);
    return f;
  }

  /// The buffers of `kernel`, whole-run ones first; fails on one the pass
  /// cannot take over.
  LogicalResult collect(func::FuncOp kernel, SmallVectorImpl<Buffer> &buffers) {
    Block &entry = kernel.front();
    DataLayout layout = DataLayout::closest(kernel);
    SmallVector<Buffer> perThread;
    WalkResult walk = kernel.walk([&](Operation *op) {
      auto alloc = dyn_cast<memref::AllocOp>(op);
      auto alloca = dyn_cast<memref::AllocaOp>(op);
      if (!alloc && !(alloca && !fitsTheStack(alloca.getType(), layout)))
        return WalkResult::advance();
      auto type = cast<MemRefType>(op->getResult(0).getType());
      Buffer b{op, type, SmallVector<Value>(op->getOperands()),
               static_cast<int64_t>(layout.getTypeSize(type.getElementType())),
               alloca || op->getBlock() != &entry};
      if (!type.getLayout().isIdentity()) {
        op->emitOpError("internal error: a buffer with a strided layout");
        return WalkResult::interrupt();
      }
      // A heap buffer of a loop iteration must die with the iteration.
      if (alloc && b.perThread && !llvm::any_of(op->getUsers(), [&](Operation *user) {
            return isa<memref::DeallocOp>(user) && user->getBlock() == op->getBlock();
          })) {
        op->emitOpError("internal error: a heap buffer outlives the loop iteration that "
                        "allocates it");
        return WalkResult::interrupt();
      }
      int64_t bytes = b.elementBytes;
      if (type.hasStaticShape())
        for (int64_t extent : type.getShape())
          if (__builtin_mul_overflow(bytes, extent, &bytes)) {
            op->emitError() << "this value would need a buffer of " << type
                            << ", whose size in bytes overflows 64 bits";
            return WalkResult::interrupt();
          }
      (b.perThread ? perThread : buffers).push_back(std::move(b));
      return WalkResult::advance();
    });
    buffers.append(perThread.begin(), perThread.end());
    return failure(walk.wasInterrupted());
  }

  LogicalResult convert(func::FuncOp kernel, SymbolTable &symbols) {
    SmallVector<Buffer> buffers;
    if (failed(collect(kernel, buffers)))
      return failure();
    if (buffers.empty())
      return success();
    Block &entry = kernel.front();
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    if (!ret || ret.getNumOperands() != 0)
      return kernel.emitOpError("internal error: a kernel must end in a plain return");
    int64_t perThreadCount = llvm::count_if(buffers, [](const Buffer &b) { return b.perThread; });

    // Every size must be computable before anything runs.
    SizeComputation sizes{entry, kernel.getArgument(1), {}, {}};
    for (const Buffer &buffer : buffers)
      for (Value size : buffer.dynamicSizes)
        if (!sizes.add(size))
          return buffer.op->emitOpError("internal error: the size of this buffer is not "
                                        "computed from the kernel's arguments alone");
    // Moved ops keep their order, which respects their uses.
    SmallVector<Operation *> order(sizes.moved.begin(), sizes.moved.end());
    llvm::sort(order, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    Operation *last = nullptr;
    for (Operation *op : order) {
      if (last)
        op->moveAfter(last);
      else
        op->moveBefore(&entry, entry.begin());
      last = op;
    }

    MLIRContext *ctx = &getContext();
    Location loc = kernel.getLoc();
    Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = IntegerType::get(ctx, 64);
    Type i32 = IntegerType::get(ctx, 32);
    OpBuilder b(ctx);
    if (last)
      b.setInsertionPointAfter(last);
    else
      b.setInsertionPointToStart(&entry);
    IRMapping atStart;
    for (Operation *op : sizes.copied)
      b.clone(*op, atStart);
    auto i64Const = [&](OpBuilder &at, int64_t v) {
      return at.create<LLVM::ConstantOp>(loc, i64, at.getI64IntegerAttr(v)).getResult();
    };
    auto slotOf = [&](OpBuilder &at, Value array, Type element, int64_t i) {
      return at.create<LLVM::GEPOp>(loc, ptr, element, array,
                                    ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    };

    // The requests: {element bytes, rank, extents...} per buffer; and what
    // the runtime's messages call each buffer.
    SmallVector<Value> words;
    std::string names;
    for (const Buffer &buffer : buffers) {
      words.push_back(i64Const(b, buffer.elementBytes));
      words.push_back(i64Const(b, buffer.type.getRank()));
      unsigned dynamic = 0;
      for (int64_t extent : buffer.type.getShape())
        words.push_back(ShapedType::isDynamic(extent)
                            ? b.create<arith::IndexCastOp>(
                                   loc, i64,
                                   atStart.lookupOrDefault(buffer.dynamicSizes[dynamic++]))
                                  .getResult()
                            : i64Const(b, extent));
      names += describe(buffer.op->getLoc()) + '\0' +
               elementTypeName(buffer.type.getElementType()) + '\0';
    }
    Value requests = b.create<LLVM::AllocaOp>(loc, ptr, i64, i64Const(b, words.size()));
    for (auto [k, word] : llvm::enumerate(words))
      b.create<LLVM::StoreOp>(loc, word, slotOf(b, requests, i64, k));
    Value pointers = b.create<LLVM::AllocaOp>(loc, ptr, ptr, i64Const(b, buffers.size()));
    Value stride = b.create<LLVM::AllocaOp>(loc, ptr, i64, i64Const(b, 1));
    auto module = kernel->getParentOfType<ModuleOp>();
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    auto text = mb.create<LLVM::GlobalOp>(
        loc, LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), names.size()),
        /*isConstant=*/true, LLVM::Linkage::Internal, (kernel.getName() + "__buffers").str(),
        mb.getStringAttr(names));
    Value kernelCtx = kernel.getArgument(0);
    func::FuncOp allocate = runtimeFunction(
        module, symbols, kAllocBuffers, FunctionType::get(ctx, {ptr, ptr, ptr, i64, i64, ptr, ptr}, {i32}));
    Value status = b.create<func::CallOp>(
                        loc, allocate,
                        ValueRange{kernelCtx, b.create<LLVM::AddressOfOp>(loc, text), requests,
                                   i64Const(b, buffers.size()), i64Const(b, perThreadCount),
                                   pointers, stride})
                       .getResult(0);
    Value ok = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, status,
                                       b.create<arith::ConstantIntOp>(loc, 0, 32));
    auto guarded = b.create<scf::IfOp>(loc, ok, /*withElseRegion=*/false);

    // The rest of the kernel runs only when every buffer was allocated.
    Block *body = guarded.thenBlock();
    body->getOperations().splice(body->getTerminator()->getIterator(), entry.getOperations(),
                                 std::next(guarded->getIterator()), ret->getIterator());

    // Each buffer becomes a view of what the runtime allocated: whole-run
    // ones at the start, per-thread ones where they were, at this thread's
    // copy.
    LLVMTypeConverter types(ctx);
    auto bytesType = MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
    Type descriptor = types.convertType(bytesType);
    func::FuncOp threadIndex = runtimeFunction(module, symbols, kThreadIndex,
                                               FunctionType::get(ctx, {ptr}, {i32}));
    OpBuilder top = OpBuilder::atBlockBegin(body);
    Value threadStride = perThreadCount ? top.create<LLVM::LoadOp>(loc, i64, stride).getResult()
                                        : Value();
    llvm::SmallPtrSet<Value, 16> replaced;
    for (auto [i, buffer] : llvm::enumerate(buffers)) {
      Location at = buffer.op->getLoc();
      auto load = top.create<LLVM::LoadOp>(at, ptr, slotOf(top, pointers, ptr, i));
      // The runtime filled the array before the kernel's body runs.
      load->setAttr(attnc::kRepeatableReadAttr, top.getUnitAttr());
      Value base = load;
      OpBuilder here(ctx);
      if (buffer.perThread) {
        here.setInsertionPoint(buffer.op);
        Value thread = here.create<arith::ExtUIOp>(
            at, i64, here.create<func::CallOp>(at, threadIndex, kernelCtx).getResult(0));
        Value shift = here.create<LLVM::MulOp>(at, thread, threadStride);
        base = here.create<LLVM::GEPOp>(at, ptr, IntegerType::get(ctx, 8), base,
                                        ArrayRef<LLVM::GEPArg>{shift});
      } else {
        here = top;
      }
      // memref<?xi8> over the buffer, {base, base, 0, [bytes], [1]}, viewed
      // as the buffer's type.
      Value bytes = here.create<arith::ConstantIndexOp>(at, buffer.elementBytes);
      unsigned dynamic = 0;
      for (int64_t extent : buffer.type.getShape())
        bytes = here.create<arith::MulIOp>(
            at, bytes,
            ShapedType::isDynamic(extent) ? buffer.dynamicSizes[dynamic++]
                                          : here.create<arith::ConstantIndexOp>(at, extent));
      Value desc = here.create<LLVM::UndefOp>(at, descriptor);
      desc = here.create<LLVM::InsertValueOp>(at, desc, base, ArrayRef<int64_t>{0});
      desc = here.create<LLVM::InsertValueOp>(at, desc, base, ArrayRef<int64_t>{1});
      desc = here.create<LLVM::InsertValueOp>(at, desc, i64Const(here, 0), ArrayRef<int64_t>{2});
      desc = here.create<LLVM::InsertValueOp>(
          at, desc, here.create<arith::IndexCastOp>(at, i64, bytes), ArrayRef<int64_t>{3, 0});
      desc = here.create<LLVM::InsertValueOp>(at, desc, i64Const(here, 1),
                                              ArrayRef<int64_t>{4, 0});
      Value raw = here.create<UnrealizedConversionCastOp>(at, bytesType, desc).getResult(0);
      Value view = here.create<memref::ViewOp>(at, buffer.type, raw,
                                               here.create<arith::ConstantIndexOp>(at, 0),
                                               buffer.dynamicSizes);
      buffer.op->getResult(0).replaceAllUsesWith(view);
      replaced.insert(view);
      if (!buffer.perThread)
        top = here;
    }
    // (Not earlier: an insertion point may have been one of them.)
    for (const Buffer &buffer : buffers)
      buffer.op->erase();

    // The runtime frees the buffers: their deallocs go. Any other dealloc
    // would free what the kernel does not own.
    SmallVector<memref::DeallocOp> deallocs;
    WalkResult walk = kernel.walk([&](memref::DeallocOp d) {
      if (!viewsOneOf(d.getMemref(), replaced)) {
        d.emitOpError("internal error: frees a buffer of unknown origin");
        return WalkResult::interrupt();
      }
      deallocs.push_back(d);
      return WalkResult::advance();
    });
    for (memref::DeallocOp d : deallocs)
      d.erase();
    return failure(walk.wasInterrupted());
  }
};
} // namespace
