//===- Compiler.cpp - A checked model file to LLVM IR, stage by stage -----===//

#include "attnc/Pipelines/Compiler.h"

#include "attnc/Conversion/ASTToAttn.h"
#include "attnc/Pipelines/Registration.h"
#include "attnc/Target/EntryPoints.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

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

static bool runPasses(mlir::ModuleOp module, const CompileOptions &options,
                      llvm::function_ref<void(mlir::OpPassManager &)> build) {
  mlir::PassManager pm(module.getContext());
  if (options.applyPassManagerCLOptions && mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    return false;
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

  std::vector<std::string> kernels;
  for (const std::string &prefix : options.prefixes)
    kernels.push_back(kernelSymbol(prefix));
  mlir::OwningOpRef<mlir::ModuleOp> m = generateAttn(context, module, kernels);
  if (!m)
    return nullptr;
  onStage(Stage::Attn, *m);
  if (!runPasses(*m, options, [&](mlir::OpPassManager &pm) {
        buildFusionPipeline(pm, options.pipeline);
      }))
    return nullptr;
  onStage(Stage::Fused, *m);
  if (!runPasses(*m, options, [&](mlir::OpPassManager &pm) {
        buildAttnToLinalgPipeline(pm, options.pipeline);
      }))
    return nullptr;
  onStage(Stage::Linalg, *m);
  if (!runPasses(*m, options, [&](mlir::OpPassManager &pm) {
        buildLinalgToLLVMPipeline(pm, options.pipeline);
      }))
    return nullptr;
  for (size_t i = 0; i < module.models.size(); ++i)
    addEntryPoints(*m, module.models[i], options.prefixes[i],
                   generateManifest(module.models[i], options.prefixes[i], options.build));
  if (mlir::failed(mlir::verify(*m))) {
    llvm::errs() << "attnc: internal error: the lowered module does not verify\n";
    return nullptr;
  }
  onStage(Stage::LLVMDialect, *m);
  return translateToLLVMIR(*m, llvmContext, machine);
}

} // namespace attnc
