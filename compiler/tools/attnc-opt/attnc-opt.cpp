//===- attnc-opt.cpp - mlir-opt with every attnc dialect and pass ---------===//

#include "attnc/Pipelines/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  attnc::registerEverything(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "attnc's modular optimiser driver\n", registry));
}
