//===- TestUtil.h - Helpers shared by the frontend tests --------*- C++ -*-===//
#ifndef ATTNC_TESTS_UNIT_FRONTEND_TESTUTIL_H
#define ATTNC_TESTS_UNIT_FRONTEND_TESTUTIL_H

#include "attnc/Frontend/AST.h"
#include "attnc/Frontend/Frontend.h"

#include <memory>
#include <sstream>
#include <string>

namespace attnc::test {

struct Checked {
  std::unique_ptr<ast::Module> module;
  std::string diagnostics;
};

/// Parses and checks `source` as the file "t.attn".
inline Checked check(const std::string &source, const FrontendOptions &opts = {}) {
  std::ostringstream out;
  Checked c;
  c.module = parseAndCheck("t.attn", source, opts, out);
  c.diagnostics = out.str();
  return c;
}

/// The first line of the diagnostics (the error itself).
inline std::string firstLine(const std::string &s) { return s.substr(0, s.find('\n')); }

inline const ast::Decl *findDecl(const ast::Model &m, const std::string &name) {
  for (const ast::Decl &d : m.decls)
    if (d.name == name)
      return &d;
  return nullptr;
}

/// The checked type of declaration `name` of the first model, with dim names.
inline std::string declType(const ast::Module &module, const std::string &name) {
  const ast::Model &m = module.models.front();
  const ast::Decl *d = findDecl(m, name);
  return d ? ast::typeToString(d->type, m.dimNames()) : "<no decl " + name + ">";
}

/// Wraps declarations in `model m { ... }`.
inline std::string model(const std::string &body) { return "model m {\n" + body + "\n}\n"; }

} // namespace attnc::test

#endif
