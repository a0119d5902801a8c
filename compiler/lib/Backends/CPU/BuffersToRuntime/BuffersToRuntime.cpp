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
//       (each request with the range of the body's ops that use the buffer,
//       so that the runtime can give buffers used at different times the
//       same memory)
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
#include "../RuntimeFunctions.h"
#include "../SourceLocations.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SetVector.h"

namespace attnc {
#define GEN_PASS_DEF_BUFFERSTORUNTIME
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kAllocBuffers = "attnc_kernel_alloc_buffers";
constexpr llvm::StringLiteral kThreadIndex = "attnc_ctx_thread_index";

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
  /// The positions in the kernel's body of the first and the last op that
  /// use a whole-run buffer: buffers whose ranges do not overlap may share
  /// memory.
  int64_t first = 0, last = 0;
};

/// Sets each whole-run buffer's range of use: from its allocation to the
/// last op of the kernel's body that uses it, through views and through the
/// results of the ops that yield it (deallocs go, so they do not count).
void setLifetimes(Block &entry, MutableArrayRef<Buffer> buffers) {
  llvm::DenseMap<Operation *, int64_t> position;
  for (auto [i, op] : llvm::enumerate(entry))
    position[&op] = static_cast<int64_t>(i);
  for (Buffer &buffer : buffers) {
    if (buffer.perThread)
      continue;
    buffer.first = buffer.last = position.lookup(buffer.op);
    SmallVector<Value> aliases{buffer.op->getResult(0)};
    llvm::SmallPtrSet<Value, 8> seen(aliases.begin(), aliases.end());
    auto addAliases = [&](ValueRange values) {
      for (Value v : values)
        if (isa<BaseMemRefType>(v.getType()) && seen.insert(v).second)
          aliases.push_back(v);
    };
    while (!aliases.empty()) {
      Value v = aliases.pop_back_val();
      for (Operation *user : v.getUsers()) {
        if (isa<memref::DeallocOp>(user))
          continue;
        if (Operation *top = entry.findAncestorOpInBlock(*user))
          buffer.last = std::max(buffer.last, position.lookup(top));
        addAliases(user->getResults());
        if (user->hasTrait<OpTrait::IsTerminator>() && user->getParentOp() &&
            user->getBlock() != &entry)
          addAliases(user->getParentOp()->getResults());
      }
    }
  }
}

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

/// One kernel's buffers taken over by the runtime, step by step: the sizes
/// computed at the start, one call of the runtime allocating them all, the
/// rest of the kernel under a test of its status, each buffer a view of
/// what the runtime allocated, and no deallocs.
struct KernelBuffers {
  func::FuncOp kernel;
  SmallVector<Buffer> &buffers;
  Block &entry;
  func::ReturnOp ret;
  MLIRContext *ctx;
  Location loc = kernel.getLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = IntegerType::get(ctx, 64);
  Type i32 = IntegerType::get(ctx, 32);
  int64_t perThreadCount = llvm::count_if(buffers, [](const Buffer &b) { return b.perThread; });
  SizeComputation sizes{entry, kernel.getArgument(1), {}, {}};
  Operation *lastMoved = nullptr;
  IRRewriter rewriter{ctx};
  // Made by allocateAll().
  Block *body = nullptr;
  Value pointers, stride;

  Value i64Const(OpBuilder &at, int64_t v) {
    return at.create<LLVM::ConstantOp>(loc, i64, at.getI64IntegerAttr(v)).getResult();
  }
  Value slotOf(OpBuilder &at, Value array, Type element, int64_t i) {
    return at.create<LLVM::GEPOp>(loc, ptr, element, array,
                                  ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
  }

  func::FuncOp runtimeFunction(StringRef name, FunctionType type) {
    return attnc::declareRuntimeFunction(kernel->getParentOfType<ModuleOp>(), name, type);
  }

  /// Every size must be computable before anything runs: its computation
  /// moves to the start (or is copied there).
  LogicalResult hoistSizes() {
    for (const Buffer &buffer : buffers)
      for (Value size : buffer.dynamicSizes)
        if (!sizes.add(size))
          return buffer.op->emitOpError("internal error: the size of this buffer is not "
                                        "computed from the kernel's arguments alone");
    // Moved ops keep their order, which respects their uses.
    SmallVector<Operation *> order(sizes.moved.begin(), sizes.moved.end());
    llvm::sort(order, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    for (Operation *op : order) {
      if (lastMoved)
        op->moveAfter(lastMoved);
      else
        op->moveBefore(&entry, entry.begin());
      lastMoved = op;
    }
    return success();
  }

  /// The requests ({element bytes, rank, extents...} per buffer) and what
  /// the runtime's messages call each buffer; one call of the runtime; the
  /// rest of the kernel under `if (status == 0)`.
  void allocateAll() {
    OpBuilder b(ctx);
    if (lastMoved)
      b.setInsertionPointAfter(lastMoved);
    else
      b.setInsertionPointToStart(&entry);
    IRMapping atStart;
    for (Operation *op : sizes.copied)
      b.clone(*op, atStart);
    SmallVector<Value> words;
    std::string names;
    for (const Buffer &buffer : buffers) {
      words.push_back(i64Const(b, buffer.elementBytes));
      words.push_back(i64Const(b, buffer.type.getRank()));
      words.push_back(i64Const(b, buffer.first));
      words.push_back(i64Const(b, buffer.last));
      unsigned dynamic = 0;
      for (int64_t extent : buffer.type.getShape())
        words.push_back(ShapedType::isDynamic(extent)
                            ? b.create<arith::IndexCastOp>(
                                   loc, i64,
                                   atStart.lookupOrDefault(buffer.dynamicSizes[dynamic++]))
                                  .getResult()
                            : i64Const(b, extent));
      names += attnc::describeLocation(buffer.op->getLoc()) + '\0' +
               elementTypeName(buffer.type.getElementType()) + '\0';
    }
    // (A kernel without buffers still makes the call, with none: it is
    // where NAME_workspace_bytes stops the kernel.)
    if (names.empty())
      names.push_back('\0');
    Value requests = b.create<LLVM::AllocaOp>(
        loc, ptr, i64, i64Const(b, std::max<int64_t>(words.size(), 1)));
    for (auto [k, word] : llvm::enumerate(words))
      b.create<LLVM::StoreOp>(loc, word, slotOf(b, requests, i64, k));
    pointers = b.create<LLVM::AllocaOp>(loc, ptr, ptr,
                                        i64Const(b, std::max<int64_t>(buffers.size(), 1)));
    stride = b.create<LLVM::AllocaOp>(loc, ptr, i64, i64Const(b, 1));
    auto module = kernel->getParentOfType<ModuleOp>();
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    auto text = mb.create<LLVM::GlobalOp>(
        loc, LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), names.size()),
        /*isConstant=*/true, LLVM::Linkage::Internal, (kernel.getName() + "__buffers").str(),
        mb.getStringAttr(names));
    func::FuncOp allocate = runtimeFunction(
        kAllocBuffers, FunctionType::get(ctx, {ptr, ptr, ptr, i64, i64, ptr, ptr}, {i32}));
    Value status = b.create<func::CallOp>(
                        loc, allocate,
                        ValueRange{kernel.getArgument(0), b.create<LLVM::AddressOfOp>(loc, text),
                                   requests, i64Const(b, buffers.size()),
                                   i64Const(b, perThreadCount), pointers, stride})
                       .getResult(0);
    Value ok = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, status,
                                       b.create<arith::ConstantIntOp>(loc, 0, 32));
    auto guarded = b.create<scf::IfOp>(loc, ok, /*withElseRegion=*/false);
    body = guarded.thenBlock();
    body->getOperations().splice(body->getTerminator()->getIterator(), entry.getOperations(),
                                 std::next(guarded->getIterator()), ret->getIterator());
  }

  /// Each buffer becomes a view of what the runtime allocated: whole-run
  /// ones at the start, per-thread ones where they were, at this thread's
  /// copy.
  void replaceWithViews() {
    LLVMTypeConverter types(ctx);
    auto bytesType = MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
    Type descriptor = types.convertType(bytesType);
    func::FuncOp threadIndex =
        perThreadCount ? runtimeFunction(kThreadIndex, FunctionType::get(ctx, {ptr}, {i32}))
                       : nullptr;
    OpBuilder top = OpBuilder::atBlockBegin(body);
    Value threadStride = perThreadCount ? top.create<LLVM::LoadOp>(loc, i64, stride).getResult()
                                        : Value();
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
            at, i64, here.create<func::CallOp>(at, threadIndex, kernel.getArgument(0)).getResult(0));
        Value shift = here.create<LLVM::MulOp>(at, thread, threadStride);
        base = here.create<LLVM::GEPOp>(at, ptr, IntegerType::get(ctx, 8), base,
                                        ArrayRef<LLVM::GEPArg>{shift});
      } else {
        here = top;
      }
      Value view = viewOf(here, at, buffer, base, descriptor, bytesType);
      rewriter.replaceAllUsesWith(buffer.op->getResult(0), view);
      replaced.insert(view);
      if (!buffer.perThread)
        top = here;
    }
    // (Not earlier: an insertion point may have been one of them.)
    for (const Buffer &buffer : buffers)
      rewriter.eraseOp(buffer.op);
  }

  /// memref<?xi8> over the buffer, {base, base, 0, [bytes], [1]}, viewed as
  /// the buffer's type.
  Value viewOf(OpBuilder &here, Location at, const Buffer &buffer, Value base, Type descriptor,
               MemRefType bytesType) {
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
    desc = here.create<LLVM::InsertValueOp>(at, desc, i64Const(here, 1), ArrayRef<int64_t>{4, 0});
    Value raw = here.create<UnrealizedConversionCastOp>(at, bytesType, desc).getResult(0);
    return here.create<memref::ViewOp>(at, buffer.type, raw,
                                       here.create<arith::ConstantIndexOp>(at, 0),
                                       buffer.dynamicSizes);
  }

  /// The runtime frees the buffers: their deallocs go. Any other dealloc
  /// would free what the kernel does not own.
  LogicalResult dropDeallocs() {
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
      rewriter.eraseOp(d);
    return failure(walk.wasInterrupted());
  }

  llvm::SmallPtrSet<Value, 16> replaced;
};

struct BuffersToRuntimePass : attnc::impl::BuffersToRuntimeBase<BuffersToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> kernels;
    for (auto f : module.getOps<func::FuncOp>())
      if (attnc::isModelKernel(f))
        kernels.push_back(f);
    for (func::FuncOp kernel : kernels)
      if (failed(convert(kernel)))
        return signalPassFailure();
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

  LogicalResult convert(func::FuncOp kernel) {
    SmallVector<Buffer> buffers;
    if (failed(collect(kernel, buffers)))
      return failure();
    Block &entry = kernel.front();
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    if (!ret || ret.getNumOperands() != 0)
      return kernel.emitOpError("internal error: a kernel must end in a plain return");
    setLifetimes(entry, buffers);
    KernelBuffers k{kernel, buffers, entry, ret, &getContext()};
    if (failed(k.hoistSizes()))
      return failure();
    k.allocateAll();
    k.replaceWithViews();
    return k.dropDeallocs();
  }
};
} // namespace
