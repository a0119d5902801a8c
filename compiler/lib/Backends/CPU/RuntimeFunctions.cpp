//===- RuntimeFunctions.cpp - Calls from generated code into the runtime --===//

#include "RuntimeFunctions.h"

namespace attnc {

mlir::func::FuncOp declareRuntimeFunction(mlir::ModuleOp module, llvm::StringRef name,
                                          mlir::FunctionType type) {
  if (auto f = module.lookupSymbol<mlir::func::FuncOp>(name))
    return f;
  auto b = mlir::OpBuilder::atBlockBegin(module.getBody());
  auto f = b.create<mlir::func::FuncOp>(module.getLoc(), name, type);
  f.setPrivate();
  return f;
}

} // namespace attnc
