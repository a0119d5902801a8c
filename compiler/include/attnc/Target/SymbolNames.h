//===- SymbolNames.h - The C symbols of a compiled model ---------*- C++ -*-===//
//
// A model's symbols all derive from its C prefix P: the public P_run,
// P_run_tensors, P_output_elements, P_manifest_json and the types P_dims,
// P_inputs, P_params, P_outputs (ABI.md), and private ones P__NAME
// (docs/internals/abi.md), the kernel P__kernel among them. The bare prefix
// is never a symbol, so a model may be called `malloc`, `expf` or `main`.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TARGET_SYMBOLNAMES_H
#define ATTNC_TARGET_SYMBOLNAMES_H

#include "attnc/Frontend/AST.h"

#include <string>
#include <vector>

namespace attnc {

/// The C symbol prefixes of a file's models for a `--name` (empty: none):
/// the model's name, or PREFIX for a one-model file, or PREFIX_MODEL.
std::vector<std::string> symbolPrefixes(const ast::Module &module, const std::string &name);

/// Why `prefix` cannot prefix a model's C symbols ("" if it can), phrased to
/// follow the prefix in a message: "begins with '_' (...)".
std::string symbolPrefixProblem(const std::string &prefix);

/// The private name of the kernel function of the model with C prefix `prefix`.
std::string kernelSymbol(const std::string &prefix);

} // namespace attnc

#endif
