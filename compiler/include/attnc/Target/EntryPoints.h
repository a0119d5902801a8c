//===- EntryPoints.h - The C entry points of a compiled model ---*- C++ -*-===//
#ifndef ATTNC_TARGET_ENTRYPOINTS_H
#define ATTNC_TARGET_ENTRYPOINTS_H

#include "attnc/Frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include <string>

namespace attnc {

/// Adds to a module lowered to the LLVM dialect the symbols of
/// docs/internals/abi.md for one model whose kernel function is named
/// `kernelSymbol(prefix)`: the signature and strings, `prefix__entry`, the public
/// `prefix_run`, `prefix_run_tensors`, `prefix_output_elements` and
/// `prefix_manifest_json`, which forward to the runtime. The kernel itself
/// becomes internal, so that several models link into one program.
/// `symbols` is the module's table, shared by the calls for every model so
/// that each lookup is constant time; the new symbols are added to it.
void addEntryPoints(mlir::ModuleOp module, mlir::SymbolTable &symbols, const ast::Model &model,
                    const std::string &prefix, const std::string &manifestJson);

} // namespace attnc

#endif
