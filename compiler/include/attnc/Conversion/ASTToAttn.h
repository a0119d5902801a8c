//===- ASTToAttn.h - Generate the attn dialect from a checked AST -*- C++ -*-===//
#ifndef ATTNC_CONVERSION_ASTTOATTN_H
#define ATTNC_CONVERSION_ASTTOATTN_H

#include "attnc/Frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace attnc {

/// Builds one kernel function per model, model i's named `kernelNames[i]`.
/// The function's arguments follow docs/internals/abi.md: the runtime
/// context, the dims, then one memref per input, param and output in
/// declaration order. Its body reads the inputs as tensors, computes with
/// attn ops located at their source positions, and writes each output in
/// place. The module is verified; on failure an error is printed and the
/// result is null (that would be a compiler bug, not a user error).
mlir::OwningOpRef<mlir::ModuleOp>
generateAttn(mlir::MLIRContext &context, const ast::Module &module,
             const std::vector<std::string> &kernelNames);

} // namespace attnc

#endif
