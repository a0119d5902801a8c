//===- SourceLocations.h - Where in the model a piece of IR comes from -*- C++ -*-===//
//
// The runtime's messages about a buffer and the profile of a kernel's loop
// nests name what they are about as users wrote it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_BACKENDS_CPU_SOURCELOCATIONS_H
#define ATTNC_BACKENDS_CPU_SOURCELOCATIONS_H

#include "mlir/IR/Location.h"

#include <string>
#include <utility>
#include <vector>

namespace attnc {

/// "'h' at encoder.attn:29:11" when the location carries a name (a `let` or
/// `output`), else "the value at encoder.attn:29:11".
std::string describeLocation(mlir::Location loc);

/// Every (line, column) of the model file the location stands for: one, or
/// several for an op fused from others.
std::vector<std::pair<unsigned, unsigned>> sourcePositions(mlir::Location loc);

} // namespace attnc

#endif
