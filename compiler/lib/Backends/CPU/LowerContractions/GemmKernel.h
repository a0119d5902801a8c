//===- GemmKernel.h - attn.matmul as a packed, register-tiled GEMM -*- C++ -*-===//
#ifndef ATTNC_BACKENDS_CPU_LOWERCONTRACTIONS_GEMMKERNEL_H
#define ATTNC_BACKENDS_CPU_LOWERCONTRACTIONS_GEMMKERNEL_H

#include "ContractionForm.h"

#include "mlir/IR/PatternMatch.h"

namespace attnc::lowering {

/// The GEMM's blocking, from the target's vector registers.
struct GemmTiles {
  int64_t vectorWidth;   // f32 lanes of a vector register
  int64_t tileVectors;   // vectors of columns in a register tile
  int64_t tileRows;      // rows of a register tile
  int64_t blockDepth;    // the depth of one packed block of B (kc)
  int64_t blockRows;     // rows of a task (mc)
  int64_t blockColumns;  // columns of a task (nc), a multiple of the tile's

  /// A register tile of tileRows x tileVectors accumulators, plus the
  /// tileVectors vectors of B and the broadcast element of A of one step,
  /// fills the register file.
  static GemmTiles forTarget(int64_t vectorWidth, int64_t vectorRegisters);
  int64_t tileColumns() const { return tileVectors * vectorWidth; }
};

/// Replaces `op`, and the element-wise ops of `epilogue` after it, by the
/// GEMM kernel (GemmKernel.cpp describes the loop nest).
void buildGemm(attn::MatmulOp op, const Epilogue &epilogue, const GemmTiles &tiles,
               mlir::RewriterBase &rewriter);

} // namespace attnc::lowering

#endif
