//===- fuzz_compile.cpp - libFuzzer target: a checked model to LLVM IR ----===//
//
// Parses and checks arbitrary bytes like fuzz_frontend; every model file that
// checks (and whose model names can prefix C symbols) is then compiled to
// LLVM IR at -O0 and at -O2, for the host, as `attnc compile` does. The
// checker is meant to catch every user error, so a checked model that does
// not compile (compile or translate returns null) is a bug: the target aborts and
// libFuzzer saves the input.
//
//===----------------------------------------------------------------------===//

#include "attnc/Backends/CPU/CPUBackend.h"
#include "attnc/Frontend/Frontend.h"
#include "attnc/Pipelines/Compiler.h"
#include "attnc/Target/SymbolNames.h"

#include "llvm/IR/LLVMContext.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace {

/// The host's CPU backend, created once.
attnc::cpu::CPUBackend &host() {
  static std::unique_ptr<attnc::cpu::CPUBackend> backend = [] {
    std::string error;
    auto b = attnc::cpu::CPUBackend::create({"host", "host", ""}, error);
    if (!b) {
      std::fprintf(stderr, "fuzz_compile: no host backend: %s\n", error.c_str());
      std::abort();
    }
    return b;
  }();
  return *backend;
}

void compileAt(const attnc::ast::Module &module, unsigned optLevel) {
  attnc::cpu::CPUBackend &backend = host();
  attnc::CompileOptions options;
  options.pipeline.optLevel = optLevel;
  backend.describeTarget(options.pipeline);
  options.prefixes = attnc::symbolPrefixes(module, "");
  options.build = backend.buildInfo("fuzz.attn", optLevel);
  std::unique_ptr<attnc::Compilation> compilation =
      attnc::compile(module, options, backend, [](const std::string &, mlir::ModuleOp) {});
  llvm::LLVMContext context;
  if (!compilation || !backend.translate(compilation->module(), context)) {
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
