//===- MachineCode.h - LLVM IR and machine code for a target ----*- C++ -*-===//
#ifndef ATTNC_BACKENDS_CPU_MACHINECODE_H
#define ATTNC_BACKENDS_CPU_MACHINECODE_H

#include "mlir/IR/BuiltinOps.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace attnc {

/// A resolved `--target` / `-mcpu` pair.
struct TargetSpec {
  std::string arch;      // "x86_64", "aarch64"
  std::string triple;
  std::string cpu;       // a concrete CPU name ("znver4"), never "host"
  std::string features;  // for -mcpu=host: the host's features
};

/// Resolves the command line's CPU target (host, x86_64 or aarch64) and CPU.
/// Returns false with a message for any other target.
bool resolveTarget(const std::string &target, const std::string &cpu, TargetSpec &spec,
                   std::string &error);

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const TargetSpec &spec,
                                                         std::string &error);

/// What the schedule plans register tiles for: f32 lanes per vector register
/// and the number of vector registers.
struct VectorUnit {
  int64_t width = 4, registers = 16;
};
VectorUnit vectorUnitOf(const llvm::TargetMachine &machine);

/// Translates a module in the LLVM dialect to LLVM IR for the machine and
/// runs LLVM's O2 pipeline (no fast-math: results stay bit-identical to the
/// unoptimised IR). Returns null after printing a diagnostic.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &ctx,
                                                llvm::TargetMachine &machine);

/// Writes an object file, or assembly when `assembly` is set.
bool emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine, bool assembly,
                     llvm::raw_pwrite_stream &os, std::string &error);

/// `object` and the object files `others` linked into one relocatable object
/// (`ld -r`, in the folder `scratch`), in `linked`, which may be `object`.
bool linkRelocatable(const std::string &object, const std::vector<std::string> &others,
                     const std::string &scratch, std::string &linked, std::string &error);

} // namespace attnc

#endif
