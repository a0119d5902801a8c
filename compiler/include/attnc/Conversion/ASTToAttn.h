//===- ASTToAttn.h - Generate the attn dialect from a checked AST -*- C++ -*-===//
#ifndef ATTNC_CONVERSION_ASTTOATTN_H
#define ATTNC_CONVERSION_ASTTOATTN_H

#include "attnc/Frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace attnc {

/// Builds one function per model, model i's named `kernelNames[i]` and
/// marked `attn.model`: a pure tensor function, free of any target. Its
/// arguments are the dims, then one memref per input, param and output in
/// declaration order (docs/internals/abi.md; each backend adds what its
/// calling convention needs). Its body reads the inputs as tensors, computes with
/// attn ops located at their source positions, and writes each output in
/// place. The module is verified; on failure an error is printed and the
/// result is null (that would be a compiler bug, not a user error).
mlir::OwningOpRef<mlir::ModuleOp>
generateAttn(mlir::MLIRContext &context, const ast::Module &module,
             const std::vector<std::string> &kernelNames);

} // namespace attnc

#endif
