//===- HostJit.h - Run compiled models in the compiler's process -*- C++ -*-===//
#ifndef ATTNC_BACKENDS_CPU_HOSTJIT_H
#define ATTNC_BACKENDS_CPU_HOSTJIT_H

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace attnc {

/// Loads LLVM IR compiled for the host into this process (`attnc run`,
/// `attnc bench`, tests). The generated code calls the runtime linked into
/// this program, exactly as a user's program calls libattnc_runtime.
class HostJit {
public:
  /// `pipelines`: the object files of the module's Halide pipelines.
  static std::unique_ptr<HostJit> create(std::unique_ptr<llvm::Module> module,
                                         std::unique_ptr<llvm::LLVMContext> context,
                                         const std::vector<std::string> &pipelines,
                                         std::string &error);
  ~HostJit();

  /// The address of a symbol of the module, or null with a message.
  void *lookup(const std::string &symbol, std::string &error);

private:
  struct Impl;
  explicit HostJit(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace attnc

#endif
