//===- ProfileReport.h - attnc bench --profile ------------------*- C++ -*-===//
//
// A kernel compiled with --profile counts the nanoseconds of each of its loop
// nests (the CPU backend's attnc-cpu-profile-kernels); this reads the
// counters out of the loaded code and prints, per nest, its time per call,
// its share, its GFLOP/s where the model says how many FLOPs it does, and
// what it computes and from which source positions.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TOOLS_ATTNC_PROFILEREPORT_H
#define ATTNC_TOOLS_ATTNC_PROFILEREPORT_H

#include "attnc/Backends/CPU/HostJit.h"
#include "attnc/Frontend/AST.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::driver {

class KernelProfile {
public:
  /// Finds the counters of the kernel of the model with symbol prefix
  /// `prefix`; false (with `error`) when the code was not compiled for it.
  bool attach(HostJit &jit, const std::string &prefix, std::string &error);
  /// Remembers the counters as they are now; report() shows what came after.
  void start();
  /// The nests' times per call over `calls` calls since start(), with the
  /// FLOPs of `model` at `dims` (its dims' values in declaration order).
  void report(llvm::raw_ostream &os, const ast::Model &model, const std::vector<int64_t> &dims,
              int calls) const;

private:
  struct Nest {
    std::string what;
    std::vector<std::pair<unsigned, unsigned>> positions;
  };
  std::vector<Nest> nests;
  const int64_t *counters = nullptr;
  std::vector<int64_t> atStart;
};

} // namespace attnc::driver

#endif
