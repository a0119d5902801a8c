//===- Compiler.h - A checked model file through a backend's stages -*- C++ -*-===//
//
// The one path from a checked AST to a backend's last stage that `attnc
// compile`, `attnc run`, `attnc bench` and the tests share: the attn dialect
// as generated (`attn`), fused and scheduled (`fused`), then each stage the
// backend declares. Each stage is handed to a callback so that the driver
// can print or dump it (--emit, --dump-dir).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_PIPELINES_COMPILER_H
#define ATTNC_PIPELINES_COMPILER_H

#include "attnc/Frontend/AST.h"
#include "attnc/Pipelines/Backend.h"
#include "attnc/Pipelines/Pipelines.h"
#include "attnc/Target/ModelInterface.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/Timing.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class SourceMgrDiagnosticHandler;
} // namespace mlir

namespace attnc {

/// The target-neutral stages, before the backend's.
inline constexpr const char *kAttnStage = "attn", *kFusedStage = "fused";

/// Every stage's name, in order: `attn`, `fused`, then the backend's.
std::vector<std::string> stageNames(const Backend &backend);

struct CompileOptions {
  PipelineOptions pipeline;
  BuildInfo build;
  /// The C symbol prefix of each model of the file, in order.
  std::vector<std::string> prefixes;
  /// --embed-weights: per model, per param, the data baked into the object
  /// (it must outlive the compile); empty without it.
  std::vector<std::vector<llvm::ArrayRef<char>>> embedded;
  /// Applies MLIR's command-line pass-manager options (IR printing, timing).
  bool applyPassManagerCLOptions = false;
};

/// Called after each stage with its name and the module as it stands.
using StageCallback = llvm::function_ref<void(const std::string &stage, mlir::ModuleOp)>;

/// A model file after the backend's last stage, with the context that owns
/// it; diagnostics point into the model file.
class Compilation {
public:
  Compilation(const std::string &modelFile, bool applyTimingCLOptions);
  ~Compilation();
  mlir::ModuleOp module() { return *moduleOp; }
  /// A timer under the root of the --mlir-timing report, which is printed
  /// when the compilation ends.
  mlir::TimingScope time(const std::string &what) { return root.nest(what); }

private:
  friend std::unique_ptr<Compilation> compile(const ast::Module &, const CompileOptions &,
                                              const Backend &, StageCallback);
  mlir::MLIRContext context;
  llvm::SourceMgr sources;
  std::unique_ptr<mlir::SourceMgrDiagnosticHandler> diagnostics;
  mlir::DefaultTimingManager timing;
  mlir::TimingScope root;
  mlir::OwningOpRef<mlir::ModuleOp> moduleOp;
};

/// Runs every model of the file through every stage. Returns null after
/// printing a diagnostic (an internal error: user errors are all caught by
/// the checker).
std::unique_ptr<Compilation> compile(const ast::Module &module, const CompileOptions &options,
                                     const Backend &backend, StageCallback onStage);

} // namespace attnc

#endif
