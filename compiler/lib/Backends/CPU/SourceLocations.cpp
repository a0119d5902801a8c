//===- SourceLocations.cpp - Where in the model a piece of IR comes from --===//

#include "SourceLocations.h"

#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/Support/Path.h"

using namespace mlir;

namespace attnc {

std::string describeLocation(Location loc) {
  std::string name;
  FileLineColLoc file;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l); named && name.empty())
      name = named.getName().str();
    if (auto f = dyn_cast<FileLineColLoc>(l); f && !file)
      file = f;
    return WalkResult::advance();
  });
  std::string out = name.empty() ? "the value" : "'" + name + "'";
  if (file)
    out += " at " + llvm::sys::path::filename(file.getFilename().getValue()).str() + ":" +
           std::to_string(file.getLine()) + ":" + std::to_string(file.getColumn());
  return out;
}

std::vector<std::pair<unsigned, unsigned>> sourcePositions(Location loc) {
  std::vector<std::pair<unsigned, unsigned>> out;
  loc->walk([&](Location l) {
    if (auto f = dyn_cast<FileLineColLoc>(l))
      out.push_back({f.getLine(), f.getColumn()});
    return WalkResult::advance();
  });
  return out;
}

} // namespace attnc
