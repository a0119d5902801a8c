//===- MaskIntervals.h - Is a mask all true or all false over a tile? -*- C++ -*-===//
//
// Block sparsity for any backend's attention kernel: an interval evaluation
// of the mask region from a tile's index bounds decides, at run time and once
// per tile, whether every element of the tile is masked (the kernel skips the
// key block) or none is (it leaves the mask test out).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DIALECT_ATTN_ANALYSIS_MASKINTERVALS_H
#define ATTNC_DIALECT_ATTN_ANALYSIS_MASKINTERVALS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include <utility>

namespace attnc::attn {

/// Emits at `b`'s insertion point the test of the mask region `mask` over
/// queries [iLo, iHi] and keys [jLo, jHi] (inclusive bounds), its first
/// `numBatch` arguments (the batch indices) mapped by `batch`, which also
/// receives the values the test clones. Returns i1 values (all true, all
/// false); both are false where the region's computation is beyond the
/// evaluation (the mask is then tested element by element).
std::pair<mlir::Value, mlir::Value> emitMaskIntervalTest(mlir::OpBuilder &b, mlir::Location loc,
                                                         mlir::Block &mask, mlir::IRMapping &batch,
                                                         unsigned numBatch, mlir::Value iLo,
                                                         mlir::Value iHi, mlir::Value jLo,
                                                         mlir::Value jHi);

} // namespace attnc::attn

#endif
