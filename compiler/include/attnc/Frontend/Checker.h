//===- Checker.h - Names, extents and types of a parsed file ----*- C++ -*-===//
//
// The checker resolves every name, evaluates dim expressions (fixed dims are
// substituted by their values), infers the extents of index variables,
// assigns a ValueType to every expression and resolves built-in calls. It
// fills every field of the syntax tree marked "checked".
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_FRONTEND_CHECKER_H
#define ATTNC_FRONTEND_CHECKER_H

#include "attnc/Frontend/AST.h"
#include "attnc/Frontend/Diagnostics.h"

#include <cstddef>
#include <string>
#include <vector>

namespace attnc {

/// The most axes, summed over the types of all expressions of a file; bounds
/// the memory the checked types take.
constexpr size_t kMaxCheckedAxes = 2000000;

/// The most terms and atoms (DimExpr::size()), summed over every extent of
/// those types and every dim expression computed from the source, in a file.
/// One extent may be large (up to DimExpr::kMaxSize) and types are copied
/// from expression to expression, so the axes alone do not bound the memory
/// and time of checking.
constexpr size_t kMaxCheckedDimSize = 2000000;

/// Checks every model of `module`; returns false after reporting the first
/// error. `--dim` overrides must already be applied to the DimDecls.
bool checkModule(ast::Module &module, Diagnostics &diag);

/// The names of the built-in functions (what a misspelt call may have meant).
std::vector<std::string> builtinFunctionNames();

} // namespace attnc

#endif
