//===- CPUBackend.cpp - The CPU backend's stages and artifacts ------------===//

#include "attnc/Backends/CPU/CPUBackend.h"

#include "Passes.h"

#include "attnc/Backends/Halide/Pipelines.h"
#include "attnc/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace attnc::cpu {

namespace {

/// `linalg`: the fused attention as the CPU's loop nest over vector tiles
/// (scalar attn ops inside), contractions as GEMM kernels, then every other
/// attn op as linalg on tensors.
void addLinalgStage(OpPassManager &pm, const PipelineOptions &options, const ModelsToEmit *) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLowerAttention());
  // At -O0 contractions stay plain loops, the simplest code to check against.
  if (options.optLevel > 0)
    pm.addPass(createLowerContractions(
        {options.targetVectorWidth, options.targetVectorRegisters}));
  // Above -O0 float sums may be reordered, so that LLVM vectorises them.
  pm.addPass(createConvertAttnToLinalg({/*reassociateReductions=*/options.optLevel > 0}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLinearCSE());
}

/// `llvm-mlir`: the C calling convention, bufferisation, loops, the
/// runtime's thread pool and buffers, the LLVM dialect, the entry points.
void addLLVMStage(OpPassManager &pm, const PipelineOptions &options, const ModelsToEmit *models) {
  pm.addPass(createWrapKernels());
  // Kernel arguments are memrefs already; only the bodies are bufferised.
  pm.addPass(createSeparateInitTensors());
  pm.addPass(createComputeOutputsInPlace());
  bufferization::OneShotBufferizationOptions bufferization;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createBufferizationToMemRefPass());
  if (options.halide && options.optLevel > 0)
    pm.addPass(createHalidePipelines(
        {options.halideTarget, options.targetVectorWidth, options.halideObjectDir}));
  pm.addPass(createBuffersToRuntime());

  // At -O0 the linalg ops become plain sequential loops; above, their
  // parallel dimensions go to the thread pool.
  if (options.optLevel > 0) {
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
    pm.addPass(createParallelizeLoopNests());
  } else {
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  }
  if (options.profile)
    pm.addPass(createProfileKernels());
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
  pm.addPass(createFloatMinMaxToLLVM());
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
  pm.addPass(createCanonicalizerPass());
  if (models)
    pm.addPass(createAddEntryPoints(*models));
}

const PipelineStage kStages[] = {{"linalg", addLinalgStage}, {"llvm-mlir", addLLVMStage}};

const ArtifactKind kArtifacts[] = {
    {"llvm", ".ll", "the LLVM IR", /*textual=*/true, /*dumped=*/true},
    {"asm", ".s", "the assembly", /*textual=*/true, /*dumped=*/true},
    {"halide", ".halide.stmt", "the Halide pipelines", /*textual=*/true, /*dumped=*/false},
    {"obj", ".o", "the object", /*textual=*/false, /*dumped=*/false}};

} // namespace

/// Each Halide pipeline of the module as Halide lowered it (--emit=halide).
static std::string halideStatements(ModuleOp module) {
  std::vector<std::string> objects = halide::objectsOf(module);
  if (objects.empty())
    return "// No Halide pipelines: --halide compiles the element-wise loop nests as "
           "pipelines, at -O1 and above.\n";
  std::string text;
  for (const std::string &object : objects) {
    std::string statement = halide::statementPath(object);
    auto file = llvm::MemoryBuffer::getFile(statement);
    text += "// " + llvm::sys::path::stem(object).str() + "\n";
    text += file ? (*file)->getBuffer().str() : "// (cannot read " + statement + ")\n";
    text += "\n";
  }
  return text;
}

bool servesTarget(const std::string &target) {
  return target == "host" || target == "x86_64" || target == "aarch64";
}

CPUBackend::CPUBackend(TargetSpec spec, std::unique_ptr<llvm::TargetMachine> machine)
    : spec(std::move(spec)), machine(std::move(machine)) {}

CPUBackend::~CPUBackend() {
  if (!halideDir.empty())
    llvm::sys::fs::remove_directories(halideDir);
}

std::unique_ptr<CPUBackend> CPUBackend::create(const TargetRequest &request, std::string &error) {
  TargetSpec spec;
  std::unique_ptr<llvm::TargetMachine> machine;
  if (!resolveTarget(request.target, request.cpu, spec, error) ||
      !(machine = createTargetMachine(spec, error)))
    return nullptr;
  return std::unique_ptr<CPUBackend>(new CPUBackend(std::move(spec), std::move(machine)));
}

llvm::ArrayRef<PipelineStage> CPUBackend::stages() const { return kStages; }

llvm::ArrayRef<ArtifactKind> CPUBackend::artifacts() const { return kArtifacts; }

void CPUBackend::describeTarget(PipelineOptions &options) const {
  VectorUnit unit = vectorUnitOf(*machine);
  options.targetVectorWidth = unit.width;
  options.targetVectorRegisters = unit.registers;
  options.halideTarget = halide::halideTargetFor(
      spec.arch, machine->getTargetFeatureString());
  if (options.halide && halideDir.empty()) {
    llvm::SmallString<128> dir;
    if (!llvm::sys::fs::createUniqueDirectory("attnc-halide", dir))
      halideDir = std::string(dir);
  }
  options.halideObjectDir = halideDir;
}

BuildInfo CPUBackend::buildInfo(const std::string &modelFile, unsigned optLevel) const {
  return {modelFile, "-O" + std::to_string(optLevel), spec.arch, spec.cpu};
}

std::unique_ptr<llvm::Module> CPUBackend::translate(ModuleOp module, llvm::LLVMContext &context) {
  return translateToLLVMIR(module, context, *machine);
}

bool CPUBackend::emit(ModuleOp module, llvm::ArrayRef<std::string> kinds,
                      std::vector<std::string> &contents, std::string &error) {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> ir = translate(module, context);
  if (!ir) {
    error = "the LLVM dialect could not be translated to LLVM IR";
    return false;
  }
  for (const std::string &kind : kinds) {
    std::string text;
    if (kind == "halide") {
      text = halideStatements(module);
    } else if (kind == "llvm") {
      llvm::raw_string_ostream os(text);
      ir->print(os, nullptr);
    } else {
      llvm::SmallString<0> code;
      llvm::raw_svector_ostream os(code);
      if (!emitMachineCode(*ir, *machine, /*assembly=*/kind == "asm", os, error))
        return false;
      text = code.str().str();
      std::vector<std::string> pipelines = halide::objectsOf(module);
      if (kind == "obj" && !pipelines.empty() &&
          !linkRelocatable(text, pipelines, halideDir, text, error))
        return false;
    }
    contents.push_back(std::move(text));
  }
  return true;
}

void registerPasses() {
  registerAttncCPUPasses();
  PassPipelineRegistration<>(
      "attnc-cpu-to-linalg", "The CPU backend's `linalg` stage, from the fused attn dialect",
      [](OpPassManager &pm) { addLinalgStage(pm, PipelineOptions{}, nullptr); });
  PassPipelineRegistration<>(
      "attnc-cpu-to-llvm", "The CPU backend's `llvm-mlir` stage, from its `linalg` stage",
      [](OpPassManager &pm) { addLLVMStage(pm, PipelineOptions{}, nullptr); });
}

} // namespace attnc::cpu
