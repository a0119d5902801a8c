//===- Pipelines.h - The target-neutral pipeline ----------------*- C++ -*-===//
//
// The options every stage reads, and the target-neutral stage: fusion and
// scheduling. The stages after it are each backend's (Backend.h). attnc-opt
// exposes this one as `--attnc-fuse`.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_PIPELINES_PIPELINES_H
#define ATTNC_PIPELINES_PIPELINES_H

#include <cstdint>
#include <string>

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
  /// The target's natural f32 vector width and its number of vector
  /// registers (Backend::describeTarget).
  int64_t targetVectorWidth = 16, targetVectorRegisters = 32;
  /// Time each loop nest of the kernels (attnc bench --profile).
  bool profile = false;
  /// Compile the loop nests outside attention and contractions as Halide
  /// pipelines (--halide, -O1 and above), for `halideTarget` (Backend::describeTarget).
  bool halide = false;
  std::string halideTarget;
  /// Where the pipelines' objects go; the backend removes it.
  std::string halideObjectDir;
};

/// The attn dialect as generated -> fused and scheduled (-O1 and above).
void buildFusionPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// Registers the pipeline for attnc-opt.
void registerPipelines();

} // namespace attnc

#endif
