//===- Frontend.h - Parse and check a model file ----------------*- C++ -*-===//
//
// The one entry point the driver, the reference interpreter and the fuzzers
// use. The library has no LLVM or MLIR dependency.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_FRONTEND_FRONTEND_H
#define ATTNC_FRONTEND_FRONTEND_H

#include "attnc/Frontend/AST.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnc {

struct FrontendOptions {
  /// `--dim NAME=V`: fixes dim NAME in every model of the file that declares
  /// it. Naming no dim, or a dim fixed to another value, is an error.
  std::vector<std::pair<std::string, int64_t>> dimOverrides;
  /// False for `attnc run` and `attnc bench`, where --dim gives run-time
  /// values: they are checked the same way but the dims stay symbolic.
  bool fixDims = true;
  /// When not empty, --dim concerns only this model of the file (`attnc run
  /// --model NAME`).
  std::string dimModel;
};

/// Larger sources are rejected before lexing.
constexpr size_t kMaxSourceBytes = size_t(16) << 20;

/// Parses and checks; prints diagnostics to `diagOut`; returns nullptr after
/// the first error.
std::unique_ptr<ast::Module> parseAndCheck(const std::string &fileName, std::string_view source,
                                           const FrontendOptions &opts, std::ostream &diagOut);

} // namespace attnc

#endif
