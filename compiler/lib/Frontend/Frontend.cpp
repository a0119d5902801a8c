//===- Frontend.cpp - Parse and check a model file ------------------------===//

#include "attnc/Frontend/Frontend.h"

#include "attnc/Frontend/Checker.h"
#include "attnc/Frontend/Diagnostics.h"
#include "attnc/Frontend/Functions.h"
#include "attnc/Frontend/Parser.h"

#include <map>

namespace attnc {

namespace {

/// Checks `--dim` values against the parsed dims (of `opts.dimModel` only,
/// when given) and, with `opts.fixDims`, applies them before checking, so
/// that the checker sees them exactly like `dim NAME = V` in the file.
bool applyDimOverrides(ast::Module &module, const FrontendOptions &opts, Diagnostics &diag) {
  const auto &overrides = opts.dimOverrides;
  std::map<std::string, int64_t> given;
  for (const auto &[name, value] : overrides) {
    std::string flag = "--dim " + name + "=" + std::to_string(value) + ": ";
    if (value < 1) {
      diag.error(flag + "dim values must be at least 1");
      return false;
    }
    auto [it, inserted] = given.emplace(name, value);
    if (!inserted) {
      if (it->second == value)
        continue;
      diag.error(flag + "'" + name + "' is already given as " + std::to_string(it->second));
      return false;
    }
    bool found = false;
    for (ast::Model &m : module.models)
      for (ast::DimDecl &d : m.dims) {
        if (d.name != name || (!opts.dimModel.empty() && m.name != opts.dimModel))
          continue;
        found = true;
        if (d.isFixed && d.fixedValue != value) {
          diag.error(flag + "dim '" + name + "' of model '" + m.name + "' is fixed to " +
                     std::to_string(d.fixedValue));
          return false;
        }
        if (!opts.fixDims)
          continue;
        d.isFixed = true;
        d.fixedValue = value;
      }
    if (!found) {
      diag.error(flag + (opts.dimModel.empty() ? "no model declares a"
                                               : "model '" + opts.dimModel + "' declares no") +
                 " dim named '" + name + "'");
      return false;
    }
  }
  return true;
}

} // namespace

std::unique_ptr<ast::Module> parseAndCheck(const std::string &fileName, std::string_view source,
                                           const FrontendOptions &opts, std::ostream &diagOut) {
  Diagnostics diag(fileName, source, diagOut);
  if (source.size() > kMaxSourceBytes) {
    diag.error(fileName + ": file is too large (" + std::to_string(source.size()) +
               " bytes; the limit is 16 MiB)");
    return nullptr;
  }
  std::unique_ptr<ast::Module> module = parseFile(fileName, source, diag);
  if (!module)
    return nullptr;
  diag.setExpansions(&module->expansions);
  if (!expandFunctions(*module, diag) || !applyDimOverrides(*module, opts, diag) ||
      !checkModule(*module, diag))
    return nullptr;
  return module;
}

} // namespace attnc
