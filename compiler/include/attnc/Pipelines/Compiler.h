//===- Compiler.h - A checked model file to LLVM IR, stage by stage -*- C++ -*-===//
//
// The one path from a checked AST to LLVM IR that `attnc compile`, `attnc
// run`, `attnc bench` and the tests share. Each stage is handed to a callback
// so that the driver can print or dump it (--emit, --dump-dir).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_PIPELINES_COMPILER_H
#define ATTNC_PIPELINES_COMPILER_H

#include "attnc/Frontend/AST.h"
#include "attnc/Pipelines/Pipelines.h"
#include "attnc/Target/MachineCode.h"
#include "attnc/Target/ModelInterface.h"
#include "attnc/Target/SymbolNames.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <memory>
#include <string>
#include <vector>

namespace attnc {

/// The MLIR stages, in order; their names are the `--emit` kinds.
enum class Stage { Attn, Fused, Linalg, LLVMDialect };
const char *stageName(Stage s);

struct CompileOptions {
  PipelineOptions pipeline;
  BuildInfo build;
  /// The C symbol prefix of each model of the file, in order.
  std::vector<std::string> prefixes;
  /// Applies MLIR's command-line pass-manager options (IR printing, timing).
  bool applyPassManagerCLOptions = false;
};

/// Called after each MLIR stage with the module as it stands.
using StageCallback = llvm::function_ref<void(Stage, mlir::ModuleOp)>;

/// Compiles every model of the file into one LLVM module for `machine`.
/// Returns null after printing a diagnostic (an internal error: user errors
/// are all caught by the checker).
std::unique_ptr<llvm::Module> compileToLLVMIR(const ast::Module &module,
                                              const CompileOptions &options,
                                              llvm::TargetMachine &machine,
                                              llvm::LLVMContext &llvmContext,
                                              StageCallback onStage);

} // namespace attnc

#endif
