//===- Diagnostics.h - Clang-style error reporting --------------*- C++ -*-===//
//
// Errors print as `file:line:col: error: message`, then the source line and a
// caret line (`^` under the token start, `~` under the rest of the token).
// Only the first error of a run is printed, with the notes that follow it:
// the frontend stops there, which keeps messages deterministic.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_FRONTEND_DIAGNOSTICS_H
#define ATTNC_FRONTEND_DIAGNOSTICS_H

#include "attnc/Frontend/AST.h"

#include <ostream>
#include <string>
#include <string_view>

namespace attnc {

class Diagnostics {
public:
  Diagnostics(std::string fileName, std::string_view source, std::ostream &out);

  /// Reports an error at `loc`. Later errors are counted but not printed.
  /// An error in code expanded from a function is followed by a note at
  /// each call it came through, innermost first.
  void error(ast::Loc loc, const std::string &message);
  /// Attaches a note to the error just reported (dropped if that error was
  /// not printed).
  void note(ast::Loc loc, const std::string &message);
  /// An error about no place in the file: `attnc: error: message`.
  void error(const std::string &message);

  /// The expansions that locations refer to (the module's, once
  /// expandFunctions has run); must outlive the reports.
  void setExpansions(const std::vector<ast::Expansion> *expansions) { expansions_ = expansions; }

  bool hadError() const { return errorCount_ > 0; }
  unsigned errorCount() const { return errorCount_; }
  const std::string &fileName() const { return fileName_; }

private:
  void emit(ast::Loc loc, const char *severity, const std::string &message);

  std::string fileName_;
  std::string_view source_;
  std::ostream &out_;
  unsigned errorCount_ = 0;
  bool printingNotes_ = false;
  const std::vector<ast::Expansion> *expansions_ = nullptr;
};

} // namespace attnc

#endif
