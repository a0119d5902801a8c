//===- Compiler.cpp - A checked model file to LLVM IR, stage by stage -----===//

#include "attnc/Pipelines/Compiler.h"

#include "attnc/Conversion/ASTToAttn.h"
#include "attnc/Pipelines/Registration.h"
#include "attnc/Target/EntryPoints.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

const char *stageName(Stage s) {
  switch (s) {
  case Stage::Attn: return "attn";
  case Stage::Fused: return "fused";
  case Stage::Linalg: return "linalg";
  case Stage::LLVMDialect: return "llvm-mlir";
  }
  return "?";
}

/// Runs the passes `build` adds; with timing on (--mlir-timing), under a
/// scope named after the stage they produce.
static bool runPasses(mlir::ModuleOp module, const CompileOptions &options,
                      mlir::TimingScope &timing, Stage produced,
                      llvm::function_ref<void(mlir::OpPassManager &)> build) {
  mlir::PassManager pm(module.getContext());
  if (options.applyPassManagerCLOptions && mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    return false;
  mlir::TimingScope stage = timing.nest(std::string("to ") + stageName(produced));
  pm.enableTiming(stage);
  build(pm);
  return mlir::succeeded(pm.run(module));
}

std::unique_ptr<llvm::Module> compileToLLVMIR(const ast::Module &module,
                                              const CompileOptions &options,
                                              llvm::TargetMachine &machine,
                                              llvm::LLVMContext &llvmContext,
                                              StageCallback onStage) {
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Remarks and errors point into the model file, with its source line.
  llvm::SourceMgr sources;
  auto buffer = llvm::MemoryBuffer::getFile(module.fileName);
  if (buffer)
    sources.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler diagnostics(sources, &context);
  context.printOpOnDiagnostic(false);

  // --mlir-timing: the report is printed when `timing` goes out of scope.
  mlir::DefaultTimingManager timing;
  if (options.applyPassManagerCLOptions)
    mlir::applyDefaultTimingManagerCLOptions(timing);
  mlir::TimingScope root = timing.getRootScope();

  mlir::TimingScope generation = root.nest("generate attn");
  std::vector<std::string> kernels;
  for (const std::string &prefix : options.prefixes)
    kernels.push_back(kernelSymbol(prefix));
  mlir::OwningOpRef<mlir::ModuleOp> m = generateAttn(context, module, kernels);
  generation.stop();
  if (!m)
    return nullptr;
  onStage(Stage::Attn, *m);
  if (!runPasses(*m, options, root, Stage::Fused, [&](mlir::OpPassManager &pm) {
        buildFusionPipeline(pm, options.pipeline);
      }))
    return nullptr;
  onStage(Stage::Fused, *m);
  if (!runPasses(*m, options, root, Stage::Linalg, [&](mlir::OpPassManager &pm) {
        buildAttnToLinalgPipeline(pm, options.pipeline);
      }))
    return nullptr;
  onStage(Stage::Linalg, *m);
  if (!runPasses(*m, options, root, Stage::LLVMDialect, [&](mlir::OpPassManager &pm) {
        buildLinalgToLLVMPipeline(pm, options.pipeline);
      }))
    return nullptr;
  mlir::SymbolTable symbols(*m);
  for (size_t i = 0; i < module.models.size(); ++i)
    addEntryPoints(*m, symbols, module.models[i], options.prefixes[i],
                   generateManifest(module.models[i], options.prefixes[i], options.build));
  if (mlir::failed(mlir::verify(*m))) {
    llvm::errs() << "attnc: internal error: the lowered module does not verify\n";
    return nullptr;
  }
  onStage(Stage::LLVMDialect, *m);
  mlir::TimingScope translation = root.nest("translate to LLVM IR");
  return translateToLLVMIR(*m, llvmContext, machine);
}

} // namespace attnc
