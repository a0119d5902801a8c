//===- RuntimeFunctions.h - Calls from generated code into the runtime -*- C++ -*-===//
//
// The passes that lower to calls into libattnc_runtime (buffers, parallel
// loops, the profile's clock) declare the functions they call here.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_BACKENDS_CPU_RUNTIMEFUNCTIONS_H
#define ATTNC_BACKENDS_CPU_RUNTIMEFUNCTIONS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace attnc {

/// The private declaration of the runtime function `name` in `module`,
/// added at the module's start the first time it is asked for.
mlir::func::FuncOp declareRuntimeFunction(mlir::ModuleOp module, llvm::StringRef name,
                                          mlir::FunctionType type);

/// The runtime function that runs one of a kernel's Halide pipelines.
inline constexpr llvm::StringLiteral kCallHalide = "attnc_kernel_call_halide";

} // namespace attnc

#endif
