//===- Backend.h - What a code generator declares to the driver -*- C++ -*-===//
//
// The pipeline is the same for every target up to the fused, scheduled attn
// dialect (docs/internals/architecture.md); from there a backend takes over.
// It declares its stages (each a pass pipeline whose result has a name: the
// `--emit` kind and the `--dump-dir` file that show it) and its artifacts
// (what it makes of the last stage: objects, assembly, device images), and
// it tells the target-neutral stages the facts they plan with. The driver
// knows backends only through this interface; Backends.cpp maps `--target`
// to one.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_PIPELINES_BACKEND_H
#define ATTNC_PIPELINES_BACKEND_H

#include "attnc/Frontend/AST.h"
#include "attnc/Pipelines/Pipelines.h"
#include "attnc/Target/ModelInterface.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/ArrayRef.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace attnc {

/// The command line's choice of target.
struct TargetRequest {
  std::string target;       // --target: "host", "x86_64", "aarch64", "cuda"
  std::string cpu;          // -mcpu
  std::string offloadArch;  // --offload-arch
};

/// The models of the file, as the backend's entry points need them.
struct ModelsToEmit {
  const ast::Module &module;
  const std::vector<std::string> &prefixes;  // C symbol prefix of each model
  const BuildInfo &build;
  /// --embed-weights: per model, per param, its data in the param's dtype
  /// (empty without it).
  const std::vector<std::vector<llvm::ArrayRef<char>>> &embedded;
};

/// A stage of a backend's pipeline: the passes that produce it. `models` is
/// null in attnc-opt, where the module is all there is.
struct PipelineStage {
  std::string name;  // the --emit kind and --dump-dir file: "linalg"
  std::function<void(mlir::OpPassManager &, const PipelineOptions &, const ModelsToEmit *models)>
      addPasses;
};

/// An output a backend makes of the module after its last stage.
struct ArtifactKind {
  std::string name;         // the --emit kind: "obj"
  std::string extension;    // of its file beside the object: ".o"
  std::string description;  // for messages: "the object"
  bool textual;             // may go to stdout (-o -)
  bool dumped;              // also written by --dump-dir, after the stages
};

class Backend {
public:
  virtual ~Backend() = default;
  /// The stages after `fused`, in order.
  virtual llvm::ArrayRef<PipelineStage> stages() const = 0;
  /// What emit() can make.
  virtual llvm::ArrayRef<ArtifactKind> artifacts() const = 0;
  /// The target's vector unit, which attnc-schedule-attention plans tiles for.
  virtual void describeTarget(PipelineOptions &options) const = 0;
  /// What the manifest records of the target.
  virtual BuildInfo buildInfo(const std::string &modelFile, unsigned optLevel) const = 0;
  /// Makes `kinds` (names of artifacts()) of the module after the last
  /// stage, in that order. On failure returns false with a message.
  virtual bool emit(mlir::ModuleOp module, llvm::ArrayRef<std::string> kinds,
                    std::vector<std::string> &contents, std::string &error) = 0;
};

/// The backend that serves `request`, or null with a message for an unknown
/// target or one this version cannot generate code for.
std::unique_ptr<Backend> createBackend(const TargetRequest &request, std::string &error);

/// Registers every backend's passes and stage pipelines (for attnc-opt).
void registerBackendPasses();

} // namespace attnc

#endif
