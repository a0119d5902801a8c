//===- Inputs.h - Deterministic test inputs ---------------------*- C++ -*-===//
//
// `attnc run --input NAME=SPEC` and the tests produce input tensors from a
// spec: `random:SEED`, `zeros` or `@path.npy`. Random data comes from a
// small generator of our own (splitmix64), so that a seed gives the same
// tensors on every platform and compiler. The storage conversions the caller
// needs next (rounding to f16/bf16, raw buffers) live in Storage.h.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_REFERENCE_INPUTS_H
#define ATTNC_REFERENCE_INPUTS_H

#include "attnc/Frontend/AST.h"
#include "attnc/Reference/Storage.h"
#include "attnc/Reference/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::ref {

/// How one input tensor is produced.
struct InputSpec {
  enum class Kind { Random, Zeros, File };
  Kind kind = Kind::Random;
  uint64_t seed = 0;   // Random
  std::string path;    // File
};

/// Parses `random:SEED` (SEED a decimal in [0, 2^64)), `zeros` or `@PATH`.
bool parseInputSpec(const std::string &text, InputSpec &spec, std::string &error);

/// Produces the tensor of `shape` for the input or param at `position` (its
/// index among the model's Input and Param decls) stored as `dtype`:
///  - Random: f32/f16/bf16 values uniform in [-1, 1) on a grid the storage
///    type holds exactly (2^-23, 2^-10, 2^-7 apart), so no rounding is
///    needed; i32 values uniform in [0, 16). The stream depends on the seed
///    and the position only, so tensors of one seed differ from each other.
///  - Zeros: all 0.
///  - File: the .npy file must have exactly `shape`; values are rounded to
///    `dtype` (so bf16 data can come from an f4 file); for i32 they must be
///    integers in the int32 range.
bool makeInput(const InputSpec &spec, ast::DType dtype, const std::vector<int64_t> &shape,
               uint64_t position, Tensor &out, std::string &error);

/// The generator behind `random:SEED`: splitmix64.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  uint64_t next();

private:
  uint64_t state_;
};

/// The initial generator state for the tensor at `position` under `seed`.
uint64_t streamSeed(uint64_t seed, uint64_t position);

} // namespace attnc::ref

#endif
