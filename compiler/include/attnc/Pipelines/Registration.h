//===- Registration.h - Register attnc's dialects and passes ----*- C++ -*-===//
#ifndef ATTNC_PIPELINES_REGISTRATION_H
#define ATTNC_PIPELINES_REGISTRATION_H

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace attnc {
/// Registers the attn dialect, every upstream dialect and extension the
/// pipelines use, and every attnc pass and pipeline (for attnc-opt).
void registerEverything(mlir::DialectRegistry &registry);
/// Registers only the dialects the compiler's pipelines need.
void registerCompilerDialects(mlir::DialectRegistry &registry);
} // namespace attnc

#endif
