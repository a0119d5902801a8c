//===- Targets.cpp - Halide targets and the artifacts of pipelines --------===//
//
// The Halide target string of an LLVM target, and where a pipeline's object
// and statement are found.
//
//===----------------------------------------------------------------------===//

#include "attnc/Backends/Halide/Pipelines.h"

#include "Halide.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace attnc::halide {

std::string halideTargetFor(llvm::StringRef arch, llvm::StringRef features) {
  llvm::SmallVector<llvm::StringRef> enabled;
  llvm::SmallVector<llvm::StringRef> all;
  features.split(all, ',', -1, false);
  for (llvm::StringRef f : all)
    if (f.consume_front("+"))
      enabled.push_back(f);
  auto has = [&](llvm::StringRef f) { return llvm::is_contained(enabled, f); };
  std::string t;
  if (arch == "aarch64") {
    t = "arm-64-linux";
  } else {
    t = "x86-64-linux";
    if (has("sse4.1")) t += "-sse41";
    if (has("avx")) t += "-avx";
    if (has("avx2")) t += "-avx2";
    if (has("fma")) t += "-fma";
    if (has("f16c")) t += "-f16c";
    if (has("avx512f") && has("avx512cd") && has("avx512bw") && has("avx512dq") &&
        has("avx512vl"))
      t += "-avx512-avx512_skylake";
  }
  return t + "-no_runtime-user_context-large_buffers-strict_float";
}

std::string statementPath(llvm::StringRef objectPath) {
  llvm::SmallString<128> path(objectPath);
  llvm::sys::path::replace_extension(path, ".stmt");
  return std::string(path);
}

std::vector<std::string> objectsOf(ModuleOp module) {
  std::vector<std::string> paths;
  if (auto listed = module->getAttrOfType<ArrayAttr>(kObjectsAttr))
    for (Attribute a : listed)
      paths.push_back(cast<StringAttr>(a).str());
  return paths;
}

std::string halideHostTarget() {
  Halide::Target host = Halide::get_host_target();
  std::string features;
  auto add = [&](Halide::Target::Feature f, const char *name) {
    if (host.has_feature(f))
      features += std::string("+") + name + ",";
  };
  add(Halide::Target::SSE41, "sse4.1");
  add(Halide::Target::AVX, "avx");
  add(Halide::Target::AVX2, "avx2");
  add(Halide::Target::FMA, "fma");
  add(Halide::Target::F16C, "f16c");
  if (host.has_feature(Halide::Target::AVX512_Skylake))
    features += "+avx512f,+avx512cd,+avx512bw,+avx512dq,+avx512vl,";
  return halideTargetFor(host.arch == Halide::Target::ARM ? "aarch64" : "x86_64", features);
}

} // namespace attnc::halide
