//===- Pipelines.h - The compilation pipelines ------------------*- C++ -*-===//
//
// The driver runs these in stages so that each stage can be dumped
// (`--emit=linalg`, `--dump-dir`); attnc-opt exposes the same pipelines by
// name (`--attnc-lower-to-linalg`, `--attnc-lower-to-llvm`).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_PIPELINES_PIPELINES_H
#define ATTNC_PIPELINES_PIPELINES_H

#include <cstdint>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace attnc {

struct PipelineOptions {
  /// 0 to 3, as -O0 .. -O3. At -O0 nothing is fused.
  unsigned optLevel = 2;
  /// Remarks on softmax chains that were not fused / were fused.
  bool reportMissedFusion = false, reportFusion = false;
  /// Schedule overrides (0: the model's schedule block, else automatic).
  int64_t blockQ = 0, blockK = 0, vectorWidth = 0, tileRows = 0;
  /// The target's natural f32 vector width and its number of vector registers.
  int64_t targetVectorWidth = 16, targetVectorRegisters = 32;
};

/// The attn dialect as generated -> fused and scheduled (-O1 and above).
void buildFusionPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// The attn dialect (fused or not) -> linalg/tensor/scf/arith/math on tensors.
void buildAttnToLinalgPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// linalg on tensors -> the LLVM dialect: bufferisation, loops, LLVM.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// Registers both pipelines for attnc-opt.
void registerPipelines();

} // namespace attnc

#endif
