//===- Pipelines.cpp - The target-neutral pipeline ------------------------===//

#include "attnc/Pipelines/Pipelines.h"

#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void attnc::buildFusionPipeline(OpPassManager &pm, const PipelineOptions &options) {
  if (options.optLevel == 0)
    return;
  attn::FuseAttentionOptions fuse;
  fuse.reportMissed = options.reportMissedFusion;
  fuse.reportFused = options.reportFusion;
  pm.addNestedPass<func::FuncOp>(attn::createFuseAttention(fuse));
  pm.addPass(createCanonicalizerPass());
  attn::ScheduleAttentionOptions schedule;
  schedule.blockQ = options.blockQ;
  schedule.blockK = options.blockK;
  schedule.vectorWidth = options.vectorWidth;
  schedule.tileRows = options.tileRows;
  schedule.targetVectorWidth = options.targetVectorWidth;
  schedule.targetVectorRegisters = options.targetVectorRegisters;
  pm.addNestedPass<func::FuncOp>(attn::createScheduleAttention(schedule));
}

void attnc::registerPipelines() {
  PassPipelineRegistration<>(
      "attnc-fuse", "Fuse and schedule attention chains (as at -O2)",
      [](OpPassManager &pm) { buildFusionPipeline(pm, PipelineOptions{}); });
}
