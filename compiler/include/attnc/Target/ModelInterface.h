//===- ModelInterface.h - What a compiled model shows the outside -*- C++ -*-===//
//
// Everything derived from a checked model for the world outside the kernel:
// the encoded signature the runtime checks calls against
// (docs/internals/abi.md), the C header of ABI.md and the JSON manifest.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TARGET_MODELINTERFACE_H
#define ATTNC_TARGET_MODELINTERFACE_H

#include "attnc/Frontend/AST.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace attnc {

/// How the object was built, for the header comment and the manifest.
struct BuildInfo {
  std::string sourceName;   // the model file as given
  std::string optLevel;     // "-O2"
  std::string arch;         // "x86_64"
  std::string cpu;          // "znver4"
  std::string embeddedWeights; // --embed-weights FILE as given; empty without it
};

/// The signature as the runtime reads it, and the NUL-separated names it
/// points into.
struct EncodedSignature {
  std::vector<int64_t> words;
  std::string strings;
};
EncodedSignature encodeSignature(const ast::Model &model);

/// The decls of the ABI in call order: inputs, params, outputs.
std::vector<const ast::Decl *> interfaceDecls(const ast::Model &model, ast::DeclKind kind);

/// The C header for every model of a file (prefixes[i] names model i).
std::string generateHeader(const ast::Module &module, const std::vector<std::string> &prefixes,
                           const BuildInfo &info);

/// The manifest JSON of one model.
std::string generateManifest(const ast::Model &model, const std::string &prefix,
                             const BuildInfo &info);

/// FLOPs of the model's contractions (2 per multiply-add of matmuls and of
/// reductions over bound indices), as a dim expression.
DimExpr estimateFlops(const ast::Model &model);

/// The same, site by site: each matmul and reduction with its position in
/// the model file and its FLOPs.
void forEachFlopSite(const ast::Model &model,
                     const std::function<void(const ast::Loc &, const DimExpr &)> &site);

/// `S` -> "f32[B, S, 64]": a type as users wrote it.
std::string describeType(const ast::Model &model, ast::DType dtype, const Shape &shape);

} // namespace attnc

#endif
