//===- ParallelizeLoopNests.cpp - The model's loop nests on the thread pool -===//
//
// At -O1 and above the linalg ops outside the GEMM and attention kernels
// (norms, softmaxes, element-wise ops that no kernel absorbed) lower to
// scf.parallel over their parallel dimensions. The runtime runs
// one-dimensional loops: this pass keeps each outermost loop's first
// dimension parallel and runs the others as scf.for loops inside it (the
// innermost, contiguous dimension stays a plain loop for LLVM to vectorise).
// It then sizes the loop's chunks: at least enough iterations for about 2^14
// operations of its body, so that a small loop (a decode step's rows) never
// wakes a thread.
//
//===----------------------------------------------------------------------===//

#include "../Passes.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/MathExtras.h"

namespace attnc {
#define GEN_PASS_DEF_PARALLELIZELOOPNESTS
#include "Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

/// Operations a chunk should hold at least.
constexpr int64_t kChunkWork = 1 << 14;
/// The trip count assumed of a loop whose bounds are not constants.
constexpr int64_t kUnknownTrips = 16;

/// Operations of one execution of `block`, loops counted with their trips.
/// Saturates: a deep nest of unknown trips counts as "very large", never
/// wraps.
uint64_t workOf(Block &block) {
  uint64_t work = 0;
  for (Operation &op : block) {
    uint64_t inner = 1;
    for (Region &region : op.getRegions())
      for (Block &b : region)
        inner = std::max(inner, workOf(b));
    if (auto f = dyn_cast<scf::ForOp>(op)) {
      int64_t trips = constantTripCount(f.getLowerBound(), f.getUpperBound(), f.getStep())
                          .value_or(kUnknownTrips);
      inner = llvm::SaturatingMultiply(inner, uint64_t(std::max<int64_t>(trips, 0)));
    }
    work = llvm::SaturatingAdd(work, inner);
  }
  return std::max<uint64_t>(work, 1);
}

/// scf.parallel (i0, i1, ...) -> scf.parallel (i0) { scf.for i1 { ... } }.
scf::ParallelOp keepFirstDimension(scf::ParallelOp loop) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  auto outer = b.create<scf::ParallelOp>(loc, loop.getLowerBound().take_front(),
                                         loop.getUpperBound().take_front(),
                                         loop.getStep().take_front());
  outer->setDiscardableAttrs(loop->getDiscardableAttrDictionary());
  b.setInsertionPointToStart(outer.getBody());
  IRMapping map;
  SmallVector<Value> ivsBefore = loop.getInductionVars();
  map.map(ivsBefore.front(), outer.getInductionVars().front());
  scf::buildLoopNest(b, loc, loop.getLowerBound().drop_front(), loop.getUpperBound().drop_front(),
                     loop.getStep().drop_front(),
                     [&](OpBuilder &nb, Location, ValueRange ivs) {
                       for (auto [from, to] : llvm::zip(ArrayRef<Value>(ivsBefore).drop_front(), ivs))
                         map.map(from, to);
                       for (Operation &op : loop.getBody()->without_terminator())
                         nb.clone(op, map);
                     });
  loop.erase();
  return outer;
}

struct ParallelizeLoopNestsPass
    : attnc::impl::ParallelizeLoopNestsBase<ParallelizeLoopNestsPass> {
  void runOnOperation() override {
    for (auto kernel : getOperation().getOps<func::FuncOp>()) {
      if (!attnc::isModelKernel(kernel))
        continue;
      SmallVector<scf::ParallelOp> loops;
      kernel.walk([&](scf::ParallelOp p) {
        if (p.getNumReductions() == 0 && !p->getParentOfType<scf::ParallelOp>() &&
            !p->hasAttr(attnc::kMaxThreadsAttr))
          loops.push_back(p);
      });
      for (scf::ParallelOp loop : loops) {
        if (loop.getNumLoops() > 1)
          loop = keepFirstDimension(loop);
        uint64_t work = workOf(*loop.getBody());
        int64_t grain = work >= uint64_t(kChunkWork) ? 1 : int64_t((kChunkWork + work - 1) / work);
        if (grain > 1)
          loop->setAttr(attnc::kMinGrainAttr,
                        IntegerAttr::get(IntegerType::get(&getContext(), 64), grain));
      }
    }
  }
};

} // namespace
