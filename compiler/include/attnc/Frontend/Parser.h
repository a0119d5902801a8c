//===- Parser.h - Recursive-descent parser for model files ------*- C++ -*-===//
//
// Builds the syntax tree of a whole file. Declaration lists are parsed with
// loops (a file may hold millions of them); only expressions recurse, and
// their nesting is bounded so that no input can exhaust the stack of the
// parser or of any later pass that walks the tree recursively.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_FRONTEND_PARSER_H
#define ATTNC_FRONTEND_PARSER_H

#include "attnc/Frontend/AST.h"
#include "attnc/Frontend/Diagnostics.h"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace attnc {

/// The deepest expression tree (and parenthesis nesting) accepted.
constexpr unsigned kMaxExpressionDepth = 256;
/// The most entries of a declared shape, an index list (of a definition or
/// a reduction), a list literal or the arguments of a schedule directive.
constexpr size_t kMaxRank = 64;
/// The most expression nodes and index variables in one file; bounds the
/// memory of the tree.
constexpr size_t kMaxExpressionNodes = 2000000;

/// Parses `source`; returns nullptr after reporting the first error.
/// Only the "parsed" fields of the tree are filled in.
std::unique_ptr<ast::Module> parseFile(const std::string &fileName, std::string_view source,
                                       Diagnostics &diag);

} // namespace attnc

#endif
