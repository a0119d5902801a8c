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

#include "attnc/Conversion/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Path.h"

namespace attnc {
#define GEN_PASS_DEF_BUFFERSTORUNTIME
#include "attnc/Conversion/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kAllocBuffers = "attnc_kernel_alloc_buffers";

/// A model's kernel: (ctx: !llvm.ptr, dims: memref, tensors...).
bool isKernel(func::FuncOp f) {
  ArrayRef<Type> inputs = f.getFunctionType().getInputs();
  return !f.isExternal() && inputs.size() > 1 && isa<LLVM::LLVMPointerType>(inputs[0]) &&
         isa<MemRefType>(inputs[1]);
}

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

/// Adds to `ops`, operands first, the ops that compute `v`, when all of them
/// can move to the start of `entry`: pure ops, extents of arguments, and
/// loads of the (read-only) dims argument.
bool collectSizeComputation(Value v, Block &entry, Value dims, llvm::SetVector<Operation *> &ops) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner() == &entry;
  Operation *def = v.getDefiningOp();
  if (def->getBlock() != &entry || def->getNumRegions() != 0)
    return false;
  if (ops.contains(def))
    return true;
  auto load = dyn_cast<memref::LoadOp>(def);
  if (!isMemoryEffectFree(def) && !(load && load.getMemRef() == dims))
    return false;
  for (Value operand : def->getOperands())
    if (!collectSizeComputation(operand, entry, dims, ops))
      return false;
  ops.insert(def);
  return true;
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

struct BuffersToRuntimePass : attnc::impl::BuffersToRuntimeBase<BuffersToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> kernels;
    for (auto f : module.getOps<func::FuncOp>())
      if (isKernel(f))
        kernels.push_back(f);
    for (func::FuncOp kernel : kernels)
      if (failed(convert(kernel)))
        return signalPassFailure();
  }

  /// The runtime function, declared once per module.
  func::FuncOp runtimeFunction(ModuleOp module) {
    if (auto f = module.lookupSymbol<func::FuncOp>(kAllocBuffers))
      return f;
    MLIRContext *ctx = module.getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto f = b.create<func::FuncOp>(
        module.getLoc(), kAllocBuffers,
        FunctionType::get(ctx, {ptr, ptr, ptr, b.getI64Type(), ptr}, {b.getI32Type()}));
    f.setPrivate();
    return f;
  }

  LogicalResult convert(func::FuncOp kernel) {
    Block &entry = kernel.front();
    SmallVector<memref::AllocOp> allocs;
    for (auto alloc : entry.getOps<memref::AllocOp>())
      allocs.push_back(alloc);
    if (allocs.empty())
      return success();
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    if (!ret || ret.getNumOperands() != 0)
      return kernel.emitOpError("internal error: a kernel must end in a plain return");

    // The requests' contents, and the sizes to hoist.
    DataLayout layout = DataLayout::closest(kernel);
    Value dims = kernel.getArgument(1);
    llvm::SetVector<Operation *> hoisted;
    std::string names;
    SmallVector<int64_t> elementBytes;
    for (memref::AllocOp alloc : allocs) {
      MemRefType type = alloc.getType();
      if (!type.getLayout().isIdentity())
        return alloc.emitOpError("internal error: a heap buffer with a strided layout");
      for (Value size : alloc.getDynamicSizes())
        if (!collectSizeComputation(size, entry, dims, hoisted))
          return alloc.emitOpError("internal error: the size of this buffer is not computed "
                                   "from the kernel's arguments alone");
      int64_t bytes = static_cast<int64_t>(layout.getTypeSize(type.getElementType()));
      elementBytes.push_back(bytes);
      if (type.hasStaticShape()) {
        for (int64_t extent : type.getShape())
          if (__builtin_mul_overflow(bytes, extent, &bytes))
            return alloc.emitError()
                   << "this value would need a buffer of " << type << ", whose size in bytes "
                   << "overflows 64 bits";
      }
      names += describe(alloc.getLoc()) + '\0' + elementTypeName(type.getElementType()) + '\0';
    }

    // Sizes first, in their original order (which respects their uses).
    SmallVector<Operation *> order(hoisted.begin(), hoisted.end());
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
    OpBuilder b(ctx);
    if (last)
      b.setInsertionPointAfter(last);
    else
      b.setInsertionPointToStart(&entry);
    auto i64Const = [&](int64_t v) {
      return b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(v)).getResult();
    };

    // The requests: {element bytes, rank, extents...} per buffer.
    SmallVector<Value> words;
    for (auto [alloc, bytes] : llvm::zip(allocs, elementBytes)) {
      MemRefType type = alloc.getType();
      words.push_back(i64Const(bytes));
      words.push_back(i64Const(type.getRank()));
      unsigned dynamic = 0;
      for (int64_t extent : type.getShape())
        words.push_back(ShapedType::isDynamic(extent)
                            ? b.create<arith::IndexCastOp>(loc, i64,
                                                           alloc.getDynamicSizes()[dynamic++])
                                  .getResult()
                            : i64Const(extent));
    }
    Value requests = b.create<LLVM::AllocaOp>(loc, ptr, i64, i64Const(words.size()));
    for (auto [k, word] : llvm::enumerate(words)) {
      Value slot = b.create<LLVM::GEPOp>(loc, ptr, i64, requests,
                                         ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(k)});
      b.create<LLVM::StoreOp>(loc, word, slot);
    }
    Value buffers = b.create<LLVM::AllocaOp>(loc, ptr, ptr, i64Const(allocs.size()));

    // The buffers' descriptions, a constant string of the module.
    auto module = kernel->getParentOfType<ModuleOp>();
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    auto text = mb.create<LLVM::GlobalOp>(
        loc, LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), names.size()),
        /*isConstant=*/true, LLVM::Linkage::Internal, (kernel.getName() + "__buffers").str(),
        mb.getStringAttr(names));
    Value namesPtr = b.create<LLVM::AddressOfOp>(loc, text);

    Value status =
        b.create<func::CallOp>(loc, runtimeFunction(module),
                               ValueRange{kernel.getArgument(0), namesPtr, requests,
                                          i64Const(allocs.size()), buffers})
            .getResult(0);
    Value ok = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, status,
                                       b.create<arith::ConstantIntOp>(loc, 0, 32));
    auto guarded = b.create<scf::IfOp>(loc, ok, /*withElseRegion=*/false);

    // The rest of the kernel runs only when every buffer was allocated.
    Block *body = guarded.thenBlock();
    body->getOperations().splice(body->getTerminator()->getIterator(), entry.getOperations(),
                                 std::next(guarded->getIterator()), ret->getIterator());

    // Each alloc becomes a view of its buffer.
    LLVMTypeConverter types(ctx);
    auto bytesType = MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
    Type descriptor = types.convertType(bytesType);
    b.setInsertionPointToStart(body);
    llvm::SmallPtrSet<Value, 16> replaced;
    for (auto [i, alloc] : llvm::enumerate(allocs)) {
      Location at = alloc.getLoc();
      Value slot = b.create<LLVM::GEPOp>(at, ptr, ptr, buffers,
                                         ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      Value base = b.create<LLVM::LoadOp>(at, ptr, slot);
      // memref<?xi8> over the buffer: {base, base, 0, [bytes], [1]}.
      Value bytes = b.create<arith::ConstantIndexOp>(at, elementBytes[i]);
      MemRefType type = alloc.getType();
      unsigned dynamic = 0;
      for (int64_t extent : type.getShape())
        bytes = b.create<arith::MulIOp>(
            at, bytes,
            ShapedType::isDynamic(extent) ? alloc.getDynamicSizes()[dynamic++]
                                          : b.create<arith::ConstantIndexOp>(at, extent));
      Value desc = b.create<LLVM::UndefOp>(at, descriptor);
      desc = b.create<LLVM::InsertValueOp>(at, desc, base, ArrayRef<int64_t>{0});
      desc = b.create<LLVM::InsertValueOp>(at, desc, base, ArrayRef<int64_t>{1});
      desc = b.create<LLVM::InsertValueOp>(at, desc, i64Const(0), ArrayRef<int64_t>{2});
      desc = b.create<LLVM::InsertValueOp>(
          at, desc, b.create<arith::IndexCastOp>(at, i64, bytes), ArrayRef<int64_t>{3, 0});
      desc = b.create<LLVM::InsertValueOp>(at, desc, i64Const(1), ArrayRef<int64_t>{4, 0});
      Value raw = b.create<UnrealizedConversionCastOp>(at, bytesType, desc).getResult(0);
      Value view = b.create<memref::ViewOp>(at, type, raw, b.create<arith::ConstantIndexOp>(at, 0),
                                            alloc.getDynamicSizes());
      alloc.replaceAllUsesWith(view);
      replaced.insert(view);
    }
    // (Not earlier: the builder's insertion point may be the first alloc.)
    for (memref::AllocOp alloc : allocs)
      alloc.erase();

    // The runtime frees the buffers: their deallocs go. Those of buffers
    // allocated inside loops stay; any other would free what it does not own.
    llvm::SmallPtrSet<Value, 16> remaining;
    kernel.walk([&](memref::AllocOp a) { remaining.insert(a); });
    SmallVector<memref::DeallocOp> deallocs;
    WalkResult walk = kernel.walk([&](memref::DeallocOp d) {
      if (viewsOneOf(d.getMemref(), remaining))
        return WalkResult::advance();
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
