//===- CPUBackend.h - x86-64 and AArch64 code through LLVM ------*- C++ -*-===//
//
// The CPU backend (compiler/lib/Backends/CPU/): the fused attention as a
// loop nest over vector tiles, parallel loops on the runtime's thread pool,
// buffers from the runtime, the C entry points of docs/internals/abi.md, and
// LLVM's code generation for one TargetMachine. Its stages are `linalg` and
// `llvm-mlir`; its artifacts LLVM IR, assembly and an object file.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_BACKENDS_CPU_CPUBACKEND_H
#define ATTNC_BACKENDS_CPU_CPUBACKEND_H

#include "attnc/Backends/CPU/MachineCode.h"
#include "attnc/Pipelines/Backend.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

namespace attnc::cpu {

/// The --target values the CPU backend serves.
bool servesTarget(const std::string &target);

class CPUBackend : public Backend {
public:
  /// Null with a message for an unknown CPU or a target LLVM lacks.
  static std::unique_ptr<CPUBackend> create(const TargetRequest &request, std::string &error);

  llvm::ArrayRef<PipelineStage> stages() const override;
  llvm::ArrayRef<ArtifactKind> artifacts() const override;
  void describeTarget(PipelineOptions &options) const override;
  BuildInfo buildInfo(const std::string &modelFile, unsigned optLevel) const override;
  bool emit(mlir::ModuleOp module, llvm::ArrayRef<std::string> kinds,
            std::vector<std::string> &contents, std::string &error) override;

  /// The module after the last stage as optimised LLVM IR for the machine
  /// (what `attnc run` loads into its process). Null after a diagnostic.
  std::unique_ptr<llvm::Module> translate(mlir::ModuleOp module, llvm::LLVMContext &context);

  ~CPUBackend() override;

private:
  CPUBackend(TargetSpec spec, std::unique_ptr<llvm::TargetMachine> machine);
  TargetSpec spec;
  std::unique_ptr<llvm::TargetMachine> machine;
  /// The folder of this compilation's Halide objects (--halide), made when
  /// first needed and removed with the backend.
  mutable std::string halideDir;
};

/// Registers the CPU backend's passes and its stage pipelines
/// (`--attnc-cpu-to-linalg`, `--attnc-cpu-to-llvm`) for attnc-opt.
void registerPasses();

} // namespace attnc::cpu

#endif
