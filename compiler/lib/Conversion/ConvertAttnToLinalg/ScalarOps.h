//===- ScalarOps.h - The identities and steps of reductions -----*- C++ -*-===//
//
// What each element-wise op computes on one element is its own
// (ElementwiseOpInterface::buildScalar, defined in AttnOps.td); here are the
// reductions' identities and combining steps, which the reduction lowerings
// share.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_CONVERSION_CONVERTATTNTOLINALG_SCALAROPS_H
#define ATTNC_CONVERSION_CONVERTATTNTOLINALG_SCALAROPS_H

#include "mlir/IR/Builders.h"

namespace attnc {

/// The value an empty reduction starts from and the combining step
/// (`reassociate`: a float sum's addition may be reordered).
mlir::Value reductionIdentity(mlir::OpBuilder &b, mlir::Location loc, int kind, mlir::Type type);
mlir::Value reductionCombine(mlir::OpBuilder &b, mlir::Location loc, int kind, mlir::Value acc,
                             mlir::Value v, bool reassociate);

} // namespace attnc

#endif
