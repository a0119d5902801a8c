//===- Pipelines.cpp - The compilation pipelines --------------------------===//

#include "attnc/Pipelines/Pipelines.h"

#include "attnc/Conversion/Passes.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
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

void attnc::buildAttnToLinalgPipeline(OpPassManager &pm, const PipelineOptions &options) {
  (void)options;
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertAttnToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLinearCSE());
}

void attnc::buildLinalgToLLVMPipeline(OpPassManager &pm, const PipelineOptions &options) {
  (void)options;
  // Kernel arguments are memrefs already; only the bodies are bufferised.
  pm.addPass(createSeparateInitTensors());
  bufferization::OneShotBufferizationOptions bufferization;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createBufferizationToMemRefPass());
  pm.addPass(createBuffersToRuntime());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (options.optLevel > 0)
    pm.addPass(createApproximateMath());
  pm.addPass(createParallelLoopsToRuntime());
  pm.addPass(createPackKernelArguments());
  pm.addPass(createSplitLargeFunctions());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // bf16 conversions become integer arithmetic: without AVX512-BF16 LLVM
  // would call __truncsfbf2, which neither the JIT nor libgcc before GCC 13
  // provides.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  // What has no LLVM intrinsic (tanh, erf) becomes a libm call.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createParallelLaunchToLLVM());
  pm.addPass(createCanonicalizerPass());
}

void attnc::registerPipelines() {
  PassPipelineRegistration<>(
      "attnc-fuse", "Fuse and schedule attention chains (as at -O2)",
      [](OpPassManager &pm) { buildFusionPipeline(pm, PipelineOptions{}); });
  PassPipelineRegistration<>(
      "attnc-lower-to-linalg", "Lower the attn dialect to linalg on tensors",
      [](OpPassManager &pm) { buildAttnToLinalgPipeline(pm, PipelineOptions{}); });
  PassPipelineRegistration<>(
      "attnc-lower-to-llvm", "Lower linalg on tensors to the LLVM dialect",
      [](OpPassManager &pm) { buildLinalgToLLVMPipeline(pm, PipelineOptions{}); });
}
