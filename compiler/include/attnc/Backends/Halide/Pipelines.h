//===- Pipelines.h - Loop nests as Halide pipelines -------------*- C++ -*-===//
//
// The Halide code generator: a linalg.generic on buffers becomes one Halide
// pipeline (a Func per output, an ImageParam per input), scheduled by a
// template for its class and compiled ahead of time into an object of its
// own. Objects, not IR, cross over: Halide's LLVM is newer than ours.
// This header has no Halide type in it, so that callers build without
// Halide's headers and exceptions.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_BACKENDS_HALIDE_PIPELINES_H
#define ATTNC_BACKENDS_HALIDE_PIPELINES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace attnc::halide {

/// Why `op` cannot become a Halide pipeline ("an index of the loop is
/// read"), or empty when it can.
std::string whyNotAPipeline(mlir::linalg::GenericOp op);

/// What a pipeline is compiled for.
struct PipelineTarget {
  std::string halideTarget;  // "x86-64-linux-avx-avx2-fma-..."
  int64_t vectorWidth = 8;   // f32 lanes of a vector register
};

/// The Halide target of an LLVM target: its architecture ("x86_64",
/// "aarch64") and feature string ("+avx2,+fma,..."), for code with no
/// runtime of its own that takes the kernel's context as user_context.
std::string halideTargetFor(llvm::StringRef arch, llvm::StringRef features);

/// halideTargetFor this machine.
std::string halideHostTarget();

/// The module attribute that lists the object files of a module's
/// pipelines (an array of paths), for the backend to link.
inline constexpr llvm::StringLiteral kObjectsAttr = "attnc.halide_objects";

/// The paths kObjectsAttr lists (none without it).
std::vector<std::string> objectsOf(mlir::ModuleOp module);

/// Compiles `op` (whyNotAPipeline empty) as the pipeline `name` into the
/// object file `path`. The pipeline's function `name` takes the
/// user_context, then one halide_buffer_t per operand of `op` (its inputs,
/// then its output), each with its dimensions innermost first; `name_argv`
/// takes pointers to the same. On failure returns false with a message.
bool compilePipeline(mlir::linalg::GenericOp op, llvm::StringRef name,
                     const PipelineTarget &target, llvm::StringRef path, std::string &error);

} // namespace attnc::halide

#endif
