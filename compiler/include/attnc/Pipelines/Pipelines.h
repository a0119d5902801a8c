//===- Pipelines.h - The compilation pipelines ------------------*- C++ -*-===//
//
// The driver runs these in stages so that each stage can be dumped
// (`--emit=linalg`, `--dump-dir`); attnc-opt exposes the same pipelines by
// name (`--attnc-lower-to-linalg`, `--attnc-lower-to-llvm`).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_PIPELINES_PIPELINES_H
#define ATTNC_PIPELINES_PIPELINES_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace attnc {

struct PipelineOptions {
  /// 0 to 3, as -O0 .. -O3. At -O0 nothing is fused.
  unsigned optLevel = 2;
};

/// The attn dialect as generated -> linalg/tensor/scf/arith/math on tensors.
void buildAttnToLinalgPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// linalg on tensors -> the LLVM dialect: bufferisation, loops, LLVM.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// Registers both pipelines for attnc-opt.
void registerPipelines();

} // namespace attnc

#endif
