//===- SymbolNames.cpp - The C symbols of a compiled model ----------------===//
//
// Why the rules below keep every model's symbols apart: a valid prefix has no
// "__" and does not end with '_', so the first "__" of a private name P__NAME
// ends P (two models never share a private name), and public names P_SUFFIX
// have no "__" at all (they never meet a private one). Two public names
// P_SUFFIX and Q_SUFFIX2 could only meet if a suffix ended with '_' and
// another suffix, which none of run, run_tensors, output_elements,
// output_shape, infer_dims, workspace_bytes, load_params, manifest_json,
// dims, inputs, params, outputs does.
//
//===----------------------------------------------------------------------===//

#include "attnc/Target/SymbolNames.h"

namespace attnc {

std::vector<std::string> symbolPrefixes(const ast::Module &module, const std::string &name) {
  std::vector<std::string> out;
  for (const ast::Model &m : module.models) {
    if (name.empty())
      out.push_back(m.name);
    else if (module.models.size() == 1)
      out.push_back(name);
    else
      out.push_back(name + "_" + m.name);
  }
  return out;
}

static bool isCIdentifier(const std::string &s) {
  auto letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (s.empty() || !letter(s[0]))
    return false;
  for (char c : s)
    if (!letter(c) && !(c >= '0' && c <= '9'))
      return false;
  return true;
}

std::string symbolPrefixProblem(const std::string &prefix) {
  if (!isCIdentifier(prefix))
    return "is not a C identifier";
  if (prefix[0] == '_')
    return "begins with '_' (C reserves such names for the implementation)";
  if (prefix.find("__") != std::string::npos)
    return "contains '__' (C++ reserves such names, and attnc's private symbols are "
           "PREFIX__NAME)";
  if (prefix.back() == '_')
    return "ends with '_' (PREFIX_run would contain '__', which C++ reserves)";
  if (prefix == "attnc" || prefix.rfind("attnc_", 0) == 0)
    return "is in the namespace of the attnc runtime (attnc_*)";
  return "";
}

std::string kernelSymbol(const std::string &prefix) { return prefix + "__kernel"; }

} // namespace attnc
