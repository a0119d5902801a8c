//===- IRFacts.h - What the Halide code generator reads off the IR -*- C++ -*-===//
//
// Facts about values and ops that both the admission checks (Admission.cpp)
// and the translation (GenericToHalide.cpp) rely on, so that the two agree.
// No Halide type here.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_BACKENDS_HALIDE_IRFACTS_H
#define ATTNC_BACKENDS_HALIDE_IRFACTS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Value.h"

#include <cstdint>
#include <optional>

namespace attnc::halide {

/// A memref of f32.
bool isF32Buffer(mlir::Value v);

/// An integer or index: Halide computes with it as a 32-bit int (i1 as a
/// bool).
bool isIntegerLike(mlir::Type t);

/// A number a pipeline computes with: an f32 or isIntegerLike.
bool isScalarType(mlir::Type t);

/// Whether the translation of scalar ops (Body::scalar) knows `op`.
bool isScalarOpKnown(mlir::Operation &op);

/// An f32 constant (constants are hoisted out of a generic's body).
std::optional<float> outsideConstant(mlir::Value v);

/// An integer or index constant that fits Halide's 32-bit ints.
std::optional<int64_t> integerConstant(mlir::Value v);

/// The nest of scf.for that `outer` heads: each loop's body is the next loop,
/// which starts from the value the loop carries and whose result it yields.
llvm::SmallVector<mlir::scf::ForOp> loopChain(mlir::scf::ForOp outer);

} // namespace attnc::halide

#endif
