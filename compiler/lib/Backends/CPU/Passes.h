//===- Passes.h - The CPU backend's passes ----------------------*- C++ -*-===//
#ifndef ATTNC_BACKENDS_CPU_PASSES_H
#define ATTNC_BACKENDS_CPU_PASSES_H

#include "attnc/Dialect/Attn/IR/Attn.h"
#include "attnc/Pipelines/Backend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace attnc {
/// On an scf.parallel: the most threads its iterations may run on (an
/// integer); attnc-parallel-loops-to-runtime sizes the chunks to match.
inline constexpr llvm::StringLiteral kMaxThreadsAttr = "attnc.max_threads";
/// On an scf.parallel: the fewest iterations a chunk of it may hold (an
/// integer), so that a loop of little work stays on the calling thread.
inline constexpr llvm::StringLiteral kMinGrainAttr = "attnc.min_grain";
/// On an operation that reads memory: nothing writes that memory once the
/// block holding the operation has started (the runtime's argument array, the
/// descriptors it points at, the addresses of the kernel's buffers), so the
/// operation may move to the start of its block and be repeated anywhere
/// after. attnc-split-large-functions recomputes such values where they are
/// needed rather than passing them, and drops the mark.
inline constexpr llvm::StringLiteral kRepeatableReadAttr = "attnc.repeatable_read";

/// A model's kernel as attnc-cpu-wrap-kernels makes it, (ctx: !llvm.ptr,
/// dims: memref, tensors...), until attnc-pack-kernel-arguments packs its
/// arguments. (The chunks of a parallel loop take (!llvm.ptr, i64, i64).)
inline bool isModelKernel(mlir::func::FuncOp f) {
  llvm::ArrayRef<mlir::Type> inputs = f.getFunctionType().getInputs();
  return !f.isExternal() && inputs.size() > 1 &&
         llvm::isa<mlir::LLVM::LLVMPointerType>(inputs[0]) &&
         llvm::isa<mlir::MemRefType>(inputs[1]);
}

#define GEN_PASS_DECL
#include "Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Passes.h.inc"

namespace cpu {
/// Adds the C entry points of every model of `models` to a module in the LLVM
/// dialect (EntryPoints.cpp). Built by the `llvm-mlir` stage, not registered:
/// it needs the checked models.
std::unique_ptr<mlir::Pass> createAddEntryPoints(const ModelsToEmit &models);
} // namespace cpu
} // namespace attnc

#endif
