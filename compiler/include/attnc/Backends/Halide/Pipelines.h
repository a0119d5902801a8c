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

/// Why `op` cannot be part of a Halide pipeline ("its body holds
/// vector.load, which has no Halide form"), or empty when it can. Halide
/// takes linalg.fill of a constant and linalg.generic on f32 buffers whose
/// operands are read in loop order, transposed or broadcast, whose output
/// is written at its parallel loops in order, and whose body is scalar
/// arithmetic; its reduction loops (a sum, a maximum) become Halide
/// reduction domains. A comprehension's body may also read its loop indices
/// (linalg.index), compute with them, measure buffers (memref.dim), load f32
/// buffers at the indices it computes, choose with scf.if and reduce with a nest of scf.for carrying
/// one value (bounds from outside the body).
std::string whyNotAPipeline(mlir::Operation *op);

/// The buffers the body of `op` loads from (memref.load) or measures
/// (memref.dim): a pipeline takes them as inputs.
llvm::SmallVector<mlir::Value> buffersLoaded(mlir::Operation *op);

/// The values from before `op` that its pipeline takes as scalars (numbers
/// its body uses, the dynamic sizes of the allocations it writes, loads from
/// or whose extents its reductions run over).
llvm::SmallVector<mlir::Value> scalarsUsed(mlir::Operation *op);

/// Whether the body of `op` computes with integers (indices): its pipeline
/// does so in 32 bits.
bool computesIndices(mlir::Operation *op);

/// The buffers whose extents give the reduction loops of `op` (a generic
/// whyNotAPipeline admits): a pipeline knows how far each reduction runs
/// when each is one of its inputs or an allocation.
llvm::SmallVector<mlir::Value> reductionExtentSources(mlir::Operation *op);

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

/// Where compilePipeline writes the pipeline's lowered statement (its loop
/// nest, as Halide prints it), beside the object.
std::string statementPath(llvm::StringRef objectPath);

/// The paths kObjectsAttr lists (none without it).
std::vector<std::string> objectsOf(mlir::ModuleOp module);

/// Loop nests (whyNotAPipeline empty for each) that become one pipeline:
/// they run in order, each writing its whole output buffer; a buffer may be
/// written more than once, a read sees the latest write before it.
struct PipelineRegion {
  llvm::SmallVector<mlir::Operation *> ops;
  /// The buffers read before the region writes them, none of them written
  /// by it.
  llvm::SmallVector<mlir::Value> inputs;
  /// The buffers the region writes whose final contents are needed after it.
  llvm::SmallVector<mlir::Value> outputs;
  /// The numbers from before the region that it uses (scalarsUsed).
  llvm::SmallVector<mlir::Value> scalars;
};

/// Compiles `region` as the pipeline `name` into the object file `path`
/// (and its statement into statementPath(path)).
/// The pipeline's function `name` takes the user_context, then one
/// halide_buffer_t per input, then each scalar (an int64_t for an integer or
/// index, a float for an f32), then one halide_buffer_t per output, each
/// buffer with its dimensions innermost first; `name_argv` takes pointers to the same. Buffers written
/// and not output are never stored: their values are computed where they
/// are read. On failure returns false with a message.
bool compilePipeline(const PipelineRegion &region, llvm::StringRef name,
                     const PipelineTarget &target, llvm::StringRef path, std::string &error);

} // namespace attnc::halide

#endif
