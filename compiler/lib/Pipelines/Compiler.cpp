//===- Compiler.cpp - A checked model file through a backend's stages -----===//

#include "attnc/Pipelines/Compiler.h"

#include "attnc/Conversion/ASTToAttn.h"
#include "attnc/Pipelines/Registration.h"
#include "attnc/Target/SymbolNames.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

std::vector<std::string> stageNames(const Backend &backend) {
  std::vector<std::string> names = {kAttnStage, kFusedStage};
  for (const PipelineStage &stage : backend.stages())
    names.push_back(stage.name);
  return names;
}

static mlir::DialectRegistry compilerDialects() {
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  return registry;
}

Compilation::Compilation(const std::string &modelFile, bool applyTimingCLOptions)
    : context(compilerDialects()) {
  context.loadAllAvailableDialects();
  // --mlir-timing: the report is printed when `timing` is destroyed.
  if (applyTimingCLOptions)
    mlir::applyDefaultTimingManagerCLOptions(timing);
  root = timing.getRootScope();
  // Remarks and errors point into the model file, with its source line.
  auto buffer = llvm::MemoryBuffer::getFile(modelFile);
  if (buffer)
    sources.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  diagnostics = std::make_unique<mlir::SourceMgrDiagnosticHandler>(sources, &context);
  context.printOpOnDiagnostic(false);
}

Compilation::~Compilation() = default;

/// Runs the passes `build` adds; with timing on (--mlir-timing), under a
/// scope named after the stage they produce.
static bool runPasses(mlir::ModuleOp module, const CompileOptions &options,
                      mlir::TimingScope &timing, const std::string &produced,
                      llvm::function_ref<void(mlir::OpPassManager &)> build) {
  mlir::PassManager pm(module.getContext());
  if (options.applyPassManagerCLOptions && mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    return false;
  mlir::TimingScope stage = timing.nest("to " + produced);
  pm.enableTiming(stage);
  build(pm);
  return mlir::succeeded(pm.run(module));
}

std::unique_ptr<Compilation> compile(const ast::Module &module, const CompileOptions &options,
                                     const Backend &backend, StageCallback onStage) {
  auto c = std::make_unique<Compilation>(module.fileName, options.applyPassManagerCLOptions);
  mlir::TimingScope &root = c->root;
  mlir::TimingScope generation = root.nest("generate attn");
  std::vector<std::string> kernels;
  for (const std::string &prefix : options.prefixes)
    kernels.push_back(kernelSymbol(prefix));
  c->moduleOp = generateAttn(c->context, module, kernels);
  generation.stop();
  if (!c->moduleOp)
    return nullptr;
  mlir::ModuleOp m = c->module();
  onStage(kAttnStage, m);
  if (!runPasses(m, options, root, kFusedStage, [&](mlir::OpPassManager &pm) {
        buildFusionPipeline(pm, options.pipeline);
      }))
    return nullptr;
  onStage(kFusedStage, m);
  ModelsToEmit models{module, options.prefixes, options.build, options.embedded};
  for (const PipelineStage &stage : backend.stages()) {
    if (!runPasses(m, options, root, stage.name, [&](mlir::OpPassManager &pm) {
          stage.addPasses(pm, options.pipeline, &models);
        }))
      return nullptr;
    if (&stage == &backend.stages().back() && mlir::failed(mlir::verify(m))) {
      llvm::errs() << "attnc: internal error: the lowered module does not verify\n";
      return nullptr;
    }
    onStage(stage.name, m);
  }
  return c;
}

} // namespace attnc
