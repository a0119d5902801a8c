//===- Functions.h - Expanding the file's functions at their calls -*- C++ -*-===//
//
// `fn layer(x, w) { let h = ... return ... }` is expanded at every call
// before the model is checked: the function's lets become lets of the
// calling model, named `layer#N.h` (N counts the calls of `layer` in that
// model; no name a user writes contains '#'), arguments that are not plain
// names or numbers become lets `layer#N.x`, and the call is replaced by the
// function's result. Expanded code keeps the definition's locations, marked
// with the call they came through, so that a diagnostic inside a function
// names the definition and, in notes, each call on the way.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_FRONTEND_FUNCTIONS_H
#define ATTNC_FRONTEND_FUNCTIONS_H

#include "attnc/Frontend/AST.h"
#include "attnc/Frontend/Diagnostics.h"

namespace attnc {

/// Checks the definitions and expands every call of a function in every
/// model; reports the first error and returns false.
bool expandFunctions(ast::Module &module, Diagnostics &diag);

} // namespace attnc

#endif
