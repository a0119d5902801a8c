//===- make_test_pipelines.cpp - Halide pipelines for halide_glue_test ----===//
//
// Compiles, the way attnc compiles a model's pipelines (no runtime of their
// own, the kernel's context as user_context, 64-bit buffer offsets), the
// pipelines halide_glue_test.cpp calls:
//   probe(out): out(i) = float(record_task(i)), one parallel task per element, each
//               calling back into the test;
//   rows(in, out): out(x, y) = in(x, y) * 2, parallel over rows; a too small
//               input is an out-of-bounds error;
//   scaled(in, k, s, out): out(x, y) = in(x, y) * s + k, with the scalars
//               k (int64) and s (float).
// Usage: make_test_pipelines OUT_DIR
//
//===----------------------------------------------------------------------===//

#include "Halide.h"

#include <cstdio>
#include <string>

using namespace Halide;

namespace {

Target pipelineTarget() {
  return get_host_target()
      .with_feature(Target::NoRuntime)
      .with_feature(Target::UserContext)
      .with_feature(Target::LargeBuffers);
}

void compile(Func out, const std::vector<Argument> &args, const std::string &dir,
             const std::string &name) {
  out.compile_to_object(dir + "/" + name + ".o", args, name, pipelineTarget());
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  try {
    Var x("x"), y("y");

    Func probe("probe");
    probe(x) = cast<float>(Halide::Internal::Call::make(Int(32), "record_task", {x},
                                                        Halide::Internal::Call::Extern));
    probe.parallel(x);
    compile(probe, {}, dir, "probe");

    ImageParam in(Float(32), 2, "in");
    Func rows("rows");
    rows(x, y) = in(x, y) * 2.0f;
    rows.parallel(y);
    compile(rows, {in}, dir, "rows");

    Param<int64_t> k("k");
    Param<float> s("s");
    Func scaled("scaled");
    scaled(x, y) = in(x, y) * s + cast<float>(k);
    compile(scaled, {in, k, s}, dir, "scaled");
  } catch (const Halide::Error &e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
