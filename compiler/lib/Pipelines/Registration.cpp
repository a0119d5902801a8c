//===- Registration.cpp - Register attnc's dialects and passes ------------===//

#include "attnc/Pipelines/Registration.h"

#include "attnc/Conversion/Passes.h"
#include "attnc/Dialect/Attn/IR/Attn.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Pipelines/Backend.h"
#include "attnc/Pipelines/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

void attnc::registerCompilerDialects(mlir::DialectRegistry &registry) {
  registry.insert<attn::AttnDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
}

void attnc::registerEverything(mlir::DialectRegistry &registry) {
  registerCompilerDialects(registry);
  mlir::registerAllPasses();
  registerAttncConversionPasses();
  attn::registerAttnPasses();
  registerPipelines();
  registerBackendPasses();
}
