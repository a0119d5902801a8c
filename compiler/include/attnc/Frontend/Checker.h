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

namespace attnc {

/// The most axes, summed over the types of all expressions of a file; bounds
/// the memory the checked types take.
constexpr size_t kMaxCheckedAxes = 2000000;

/// Checks every model of `module`; returns false after reporting the first
/// error. `--dim` overrides must already be applied to the DimDecls.
bool checkModule(ast::Module &module, Diagnostics &diag);

} // namespace attnc

#endif
