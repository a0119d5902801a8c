//===- ScalarOps.h - Scalar semantics of attn's element-wise ops -*- C++ -*-===//
//
// One place defines what each element-wise op computes on one element; the
// tensor lowering (inside linalg.generic bodies) and the scalar lowering
// (inside comprehension bodies) both call it, so the two cannot drift apart.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_CONVERSION_ATTNTOLINALG_SCALAROPS_H
#define ATTNC_CONVERSION_ATTNTOLINALG_SCALAROPS_H

#include "mlir/IR/Builders.h"

namespace attnc {

/// Converts a scalar between the types attn uses: f32/f16/bf16, i32/i64,
/// index and i1 (numbers from integers by signed conversion, i1 as 0/1).
mlir::Value castScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, mlir::Type to);

/// Emits the scalar computation of the element-wise attn op `op` on the given
/// operand elements, producing a value of type `resultType` (f32, i32, index
/// or i1).
mlir::Value buildScalarOp(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *op,
                          mlir::ValueRange operands, mlir::Type resultType);

/// The value an empty reduction starts from and the combining step.
mlir::Value reductionIdentity(mlir::OpBuilder &b, mlir::Location loc, int kind, mlir::Type type);
mlir::Value reductionCombine(mlir::OpBuilder &b, mlir::Location loc, int kind, mlir::Value acc,
                             mlir::Value v);

} // namespace attnc

#endif
