//===- SplitLargeFunctions.cpp - Bounded functions for LLVM ---------------===//
//
// A model of N declarations lowers to one kernel of about N loop nests, and
// several of LLVM's passes take time quadratic in the size of a function
// (among those measured with LLVM 19: X86 domain reassignment, loop strength
// reduction, CodeGenPrepare, loop unrolling): 200 chained softmaxes took a
// minute to compile. So the straight-line blocks of a large function (its
// body and the blocks of the scf.if ops in it, never a loop body) are cut into
// segments of about kSegmentOps operations, each moved into a function of its
// own that the original calls where the segment was:
//
//   func.func @m__segment3(%in: !llvm.ptr, %out: !llvm.ptr)
//       attributes {llvm.linkage = #llvm.linkage<internal>, no_inline}
//
// The values a segment uses travel in a record on the caller's stack, those
// it defines for later segments come back in another (Records.h). What is
// cheaper to recompute than to pass is recomputed in each segment that uses
// it: constants, side-effect-free operations and reads marked
// kRepeatableReadAttr (the kernel's argument descriptors, its buffers'
// addresses), so that the records stay small. Functions of up to kMaxOps
// operations are unchanged; above it, LLVM's time per function (a second
// for one of 2000 operations) outweighs anything a call costs.
//
//===----------------------------------------------------------------------===//

#include "../Passes.h"

#include "../Records.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace attnc {
#define GEN_PASS_DEF_SPLITLARGEFUNCTIONS
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// A function of more operations than this is split...
constexpr size_t kMaxOps = 512;
/// ...into segments of about this many.
constexpr size_t kSegmentOps = 128;

size_t countOps(Operation *op) {
  size_t n = 0;
  op->walk([&](Operation *) { ++n; });
  return n;
}

/// Whether `op`'s result lives on the stack of the function it runs in: a
/// segment must not hand such a result to the code after it.
bool allocatesOnStack(Operation *op) { return isa<LLVM::AllocaOp, memref::AllocaOp>(op); }

/// The top-level operations of one segment, [first, last] of their block.
struct Segment {
  Operation *first, *last;
};

/// Whether `type` holds an address or a size: what the kernel derives from
/// its arguments and buffers before any computation.
bool isAddressOrSize(Type type) {
  return isa<IndexType, MemRefType, LLVM::LLVMPointerType, LLVM::LLVMStructType>(type);
}

/// The operations whose results a segment recomputes rather than receives:
/// constants, and the cheap steps from the kernel's arguments to addresses
/// and sizes (reads marked kRepeatableReadAttr, side-effect-free operations
/// with results of address or size types; never the model's arithmetic,
/// which would stay whole in the caller). Their operands come from outside
/// their block or from such operations before them in it, so that they can
/// all move to the start of their block.
DenseSet<Operation *> findRecomputable(func::FuncOp function) {
  DenseSet<Operation *> recomputable;
  function.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op->getNumRegions() != 0)
      return;
    bool cheap = op->hasTrait<OpTrait::ConstantLike>() ||
                 op->hasAttr(attnc::kRepeatableReadAttr) ||
                 (isMemoryEffectFree(op) && llvm::all_of(op->getResultTypes(), isAddressOrSize));
    if (!cheap)
      return;
    if (llvm::all_of(op->getOperands(), [&](Value v) {
          Operation *def = v.getDefiningOp();
          return !def || def->getBlock() != op->getBlock() || recomputable.contains(def);
        }))
      recomputable.insert(op);
  });
  return recomputable;
}

class FunctionSplitter {
public:
  FunctionSplitter(ModuleOp module, SymbolTable &symbols, func::FuncOp function)
      : module(module), symbols(symbols), function(function), lastFunction(function),
        types(module.getContext()), recomputable(findRecomputable(function)) {}

  /// Splits the straight-line blocks of the function that are too large.
  void run() { splitBlock(function.front()); }

private:
  ModuleOp module;
  SymbolTable &symbols;
  func::FuncOp function;
  /// The segments follow their function, in order.
  Operation *lastFunction;
  unsigned segmentCount = 0;
  LLVMTypeConverter types;
  DenseSet<Operation *> recomputable;

  void splitBlock(Block &block);
  SmallVector<Segment> chooseSegments(Block &block);
  void outline(Block &block, Segment segment);
};

void FunctionSplitter::splitBlock(Block &block) {
  // Inner blocks first: an scf.if holding most of the function (the part
  // that runs once its buffers are allocated) becomes a few calls.
  for (Operation &op : block)
    if (isa<scf::IfOp>(op) && countOps(&op) > kMaxOps)
      for (Region &region : op.getRegions())
        for (Block &inner : region)
          splitBlock(inner);
  size_t total = 0;
  for (Operation &op : block)
    total += countOps(&op);
  if (total <= kMaxOps)
    return;
  // What segments recompute goes first, in order, out of every segment.
  Operation *lastHoisted = nullptr;
  for (Operation &op : llvm::make_early_inc_range(block.without_terminator())) {
    if (!recomputable.contains(&op))
      continue;
    if (lastHoisted)
      op.moveAfter(lastHoisted);
    else
      op.moveBefore(&block, block.begin());
    lastHoisted = &op;
  }
  SmallVector<Segment> segments = chooseSegments(block);
  if (segments.size() > 1)
    for (Segment segment : segments)
      outline(block, segment);
}

/// Cuts the block (its terminator aside) after about every kSegmentOps
/// operations, but never between a stack allocation and its last use.
SmallVector<Segment> FunctionSplitter::chooseSegments(Block &block) {
  DenseMap<Operation *, size_t> position;
  for (auto [i, op] : llvm::enumerate(block.without_terminator()))
    position[&op] = i;
  SmallVector<Segment> segments;
  Operation *first = nullptr;
  size_t size = 0, stackInUseUntil = 0;
  for (Operation &op : block.without_terminator()) {
    if (recomputable.contains(&op))
      continue; // Recomputed where used (splitBlock put them first).
    if (!first)
      first = &op;
    size += countOps(&op);
    op.walk([&](Operation *inner) {
      if (!allocatesOnStack(inner))
        return;
      for (Operation *user : inner->getUsers())
        if (Operation *top = block.findAncestorOpInBlock(*user); top && position.count(top))
          stackInUseUntil = std::max(stackInUseUntil, position[top]);
    });
    if (size >= kSegmentOps && position[&op] >= stackInUseUntil) {
      segments.push_back({first, &op});
      first = nullptr;
      size = 0;
    }
  }
  if (first)
    segments.push_back({first, block.getTerminator()->getPrevNode()});
  return segments;
}

void FunctionSplitter::outline(Block &block, Segment segment) {
  MLIRContext *ctx = module.getContext();
  Location loc = segment.first->getLoc();
  SmallVector<Operation *> ops;
  SmallPtrSet<Operation *, 32> inSegment;
  for (Operation *op = segment.first; op != segment.last->getNextNode(); op = op->getNextNode()) {
    ops.push_back(op);
    inSegment.insert(op);
  }
  auto inside = [&](Operation *op) {
    Operation *top = block.findAncestorOpInBlock(*op);
    return top && inSegment.contains(top);
  };
  // What the segment uses from before it: recomputed (operands first) or
  // received. What it defines for the code after it: handed back.
  SetVector<Value> received, outputs;
  SetVector<Operation *> recomputed;
  std::function<void(Value)> use = [&](Value v) {
    Operation *def = v.getDefiningOp();
    if (!def || !recomputable.contains(def)) {
      received.insert(v);
      return;
    }
    if (recomputed.contains(def))
      return;
    for (Value operand : def->getOperands())
      use(operand);
    recomputed.insert(def);
  };
  for (Operation *top : ops) {
    top->walk([&](Operation *op) {
      for (Value v : op->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (!def)
          def = cast<BlockArgument>(v).getOwner()->getParentOp();
        if (!inside(def))
          use(v);
      }
    });
    for (Value result : top->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) { return !inside(user); }))
        outputs.insert(result);
  }
  auto inType = attnc::recordType(types, received.getArrayRef());
  auto outType = attnc::recordType(types, outputs.getArrayRef());
  if (!inType || !outType)
    return; // A value with no LLVM form: the segment stays where it is.

  Type ptr = LLVM::LLVMPointerType::get(ctx);
  SmallVector<Type> params = {ptr};
  if (!outputs.empty())
    params.push_back(ptr);
  OpBuilder mb(ctx);
  mb.setInsertionPointAfter(lastFunction);
  std::string name = (function.getName() + "__segment" + Twine(segmentCount++)).str();
  auto fn = mb.create<func::FuncOp>(loc, name, FunctionType::get(ctx, params, {}));
  symbols.insert(fn);
  lastFunction = fn;
  fn->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  // Inlined back, the segments would make one large function again. (The
  // LLVM conversion carries this attribute over to llvm.func's `no_inline`.)
  fn->setAttr("no_inline", UnitAttr::get(ctx));
  Block *entry = fn.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockBegin(entry);
  IRMapping map;
  attnc::loadRecord(b, loc, inType, entry->getArgument(0), received.getArrayRef(), map);
  for (Operation *op : recomputed)
    b.clone(*op, map);
  auto ret = b.create<func::ReturnOp>(loc);

  // The call, where the segment was.
  OpBuilder at(segment.first);
  Value in = attnc::allocateRecord(at, loc, inType);
  attnc::storeRecord(at, loc, inType, received.getArrayRef(), in);
  Value out = outputs.empty() ? Value() : attnc::allocateRecord(at, loc, outType);
  at.create<func::CallOp>(loc, fn, out ? ValueRange{in, out} : ValueRange{in});
  IRMapping back;
  if (out)
    attnc::loadRecord(at, loc, outType, out, outputs.getArrayRef(), back);

  entry->getOperations().splice(ret->getIterator(), block.getOperations(),
                                segment.first->getIterator(),
                                std::next(segment.last->getIterator()));
  attnc::remapOperands(fn.getBody(), map);
  if (!out)
    return;
  OpBuilder end(ret);
  attnc::storeRecord(end, loc, outType, outputs.getArrayRef(), entry->getArgument(1));
  for (Value v : outputs)
    v.replaceUsesWithIf(back.lookup(v),
                        [&](OpOperand &use) { return !fn->isAncestor(use.getOwner()); });
}

struct SplitLargeFunctionsPass
    : attnc::impl::SplitLargeFunctionsBase<SplitLargeFunctionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> functions;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal())
        functions.push_back(f);
    for (func::FuncOp f : functions)
      FunctionSplitter(module, symbols, f).run();
    module.walk([](Operation *op) { op->removeAttr(attnc::kRepeatableReadAttr); });
  }
};

} // namespace
