//===- fuzz_compile.cpp - libFuzzer target: a checked model to LLVM IR ----===//
//
// Parses and checks arbitrary bytes like fuzz_frontend; every model file that
// checks (and whose model names can prefix C symbols) is then compiled to
// LLVM IR at -O0 and at -O2, for the host, as `attnc compile` does. The
// checker is meant to catch every user error, so a checked model that does
// not compile (compileToLLVMIR returns null) is a bug: the target aborts and
// libFuzzer saves the input.
//
//===----------------------------------------------------------------------===//

#include "attnc/Frontend/Frontend.h"
#include "attnc/Pipelines/Compiler.h"
#include "attnc/Target/MachineCode.h"

#include "llvm/IR/LLVMContext.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace {

/// The host's target machine, created once.
struct Host {
  attnc::TargetSpec spec;
  std::unique_ptr<llvm::TargetMachine> machine;
  attnc::VectorUnit unit;

  Host() {
    std::string error;
    if (!attnc::resolveTarget("host", "host", spec, error) ||
        !(machine = attnc::createTargetMachine(spec, error))) {
      std::fprintf(stderr, "fuzz_compile: no target machine: %s\n", error.c_str());
      std::abort();
    }
    unit = attnc::vectorUnitOf(*machine);
  }
};

Host &host() {
  static Host h;
  return h;
}

void compileAt(const attnc::ast::Module &module, unsigned optLevel) {
  Host &h = host();
  attnc::CompileOptions options;
  options.pipeline.optLevel = optLevel;
  options.pipeline.targetVectorWidth = h.unit.width;
  options.pipeline.targetVectorRegisters = h.unit.registers;
  options.prefixes = attnc::symbolPrefixes(module, "");
  options.build = {"fuzz.attn", "-O" + std::to_string(optLevel), h.spec.arch, h.spec.cpu};
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> ir = attnc::compileToLLVMIR(
      module, options, *h.machine, context, [](attnc::Stage, mlir::ModuleOp) {});
  if (!ir) {
    std::fprintf(stderr, "fuzz_compile: a checked model failed to compile at -O%u\n", optLevel);
    std::abort();
  }
}

} // namespace

// LLVM's bump allocators poison the free space of their slabs for
// AddressSanitizer in code built with it (their inline parts, compiled into
// attnc here) but not in the prebuilt LLVM and MLIR libraries, which then
// allocate from the same slabs and write to "poisoned" memory: a false
// report. Without that manual poisoning, every other memory error is still
// found.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  host();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view source(reinterpret_cast<const char *>(data), size);
  std::ostream diagnostics(nullptr); // no buffer: discards everything
  std::unique_ptr<attnc::ast::Module> module =
      attnc::parseAndCheck("fuzz.attn", source, attnc::FrontendOptions(), diagnostics);
  if (!module)
    return 0;
  // attnc rejects models whose names cannot prefix C symbols before compiling.
  for (const std::string &prefix : attnc::symbolPrefixes(*module, ""))
    if (!attnc::symbolPrefixProblem(prefix).empty())
      return 0;
  compileAt(*module, 0);
  compileAt(*module, 2);
  return 0;
}
