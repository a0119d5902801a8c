//===- make_halide_runtime.cpp - Halide's runtime as one object -----------===//
//
// Writes Halide's runtime for the host's architecture and OS, with no CPU
// feature beyond the baseline, as one object file for libattnc_runtime:
//   make_halide_runtime OUT.o
// Every pipeline attnc compiles leaves the runtime out (Halide's no_runtime
// feature) and calls this one; its thread pool and error hooks are replaced
// by runtime/src/halide_glue.c.
//
//===----------------------------------------------------------------------===//

#include "Halide.h"

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.o\n", argv[0]);
    return 2;
  }
  try {
    Halide::Target host = Halide::get_host_target();
    Halide::compile_standalone_runtime(argv[1], Halide::Target(host.os, host.arch, host.bits));
  } catch (const Halide::Error &e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
