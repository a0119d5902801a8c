//===- Inputs.cpp - Deterministic test inputs -------------------*- C++ -*-===//

#include "attnc/Reference/Inputs.h"
#include "attnc/Reference/Npy.h"

#include <cmath>

namespace attnc::ref {

namespace {

// The splitmix64 output function: a bijective 64-bit mixer.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Bits of precision (with the implicit bit) of each float storage type: a
// grid of 2^bits values over [-1, 1) is then exactly representable.
int gridBits(ast::DType dtype) {
  switch (dtype) {
  case ast::DType::F16: return 11;
  case ast::DType::BF16: return 8;
  default: return 24;
  }
}

bool fromFile(const InputSpec &spec, ast::DType dtype, const std::vector<int64_t> &shape,
              Tensor &out, std::string &error) {
  if (!readNpy(spec.path, out, error))
    return false;
  if (out.shape != shape) {
    error = spec.path + ": has shape " + shapeString(out.shape) + " but the model expects " +
            shapeString(shape);
    return false;
  }
  // i64 values are exact in the reference's doubles up to 2^53.
  double limit = dtype == ast::DType::I64 ? 9007199254740992.0 : 2147483648.0;
  if (dtype == ast::DType::I32 || dtype == ast::DType::I64)
    for (double v : out.data)
      if (!(std::trunc(v) == v && v >= -limit && v <= limit - (dtype == ast::DType::I32))) {
        error = spec.path + ": an " + ast::dtypeName(dtype) +
                " input holds the non-integer or out-of-range value " + std::to_string(v);
        return false;
      }
  roundToStorage(out, dtype);
  return true;
}

} // namespace

uint64_t SplitMix64::next() {
  state_ += 0x9E3779B97F4A7C15ull;
  return mix64(state_);
}

uint64_t streamSeed(uint64_t seed, uint64_t position) {
  return mix64(seed ^ mix64(position + 0x632BE59BD9B4E019ull));
}

bool parseInputSpec(const std::string &text, InputSpec &spec, std::string &error) {
  spec = InputSpec();
  if (text == "zeros") {
    spec.kind = InputSpec::Kind::Zeros;
    return true;
  }
  if (!text.empty() && text[0] == '@') {
    if (text.size() == 1) {
      error = "'@' must be followed by the path of a .npy file";
      return false;
    }
    spec.kind = InputSpec::Kind::File;
    spec.path = text.substr(1);
    return true;
  }
  const std::string prefix = "random:";
  if (text.compare(0, prefix.size(), prefix) == 0) {
    std::string digits = text.substr(prefix.size());
    uint64_t seed = 0;
    bool ok = !digits.empty() && digits.size() <= 20;
    for (char c : digits) {
      unsigned d = static_cast<unsigned>(c - '0');
      ok = ok && d <= 9 && seed <= (UINT64_MAX - d) / 10;
      if (!ok)
        break;
      seed = seed * 10 + d;
    }
    if (ok) {
      spec.kind = InputSpec::Kind::Random;
      spec.seed = seed;
      return true;
    }
  }
  error = "bad input spec '" + text + "' (expected random:SEED, zeros or @FILE.npy)";
  return false;
}

bool makeInput(const InputSpec &spec, ast::DType dtype, const std::vector<int64_t> &shape,
               uint64_t position, Tensor &out, std::string &error) {
  if (spec.kind == InputSpec::Kind::File)
    return fromFile(spec, dtype, shape, out, error);
  int64_t count = 0;
  if (!elementCount(shape, count, error))
    return false;
  out.shape = shape;
  out.data.assign(static_cast<size_t>(count), 0.0);
  if (spec.kind == InputSpec::Kind::Zeros)
    return true;

  SplitMix64 rng(streamSeed(spec.seed, position));
  if (dtype == ast::DType::I32 || dtype == ast::DType::I64) {
    for (double &v : out.data)
      v = static_cast<double>(rng.next() >> 60);  // [0, 16)
    return true;
  }
  int bits = gridBits(dtype);
  for (double &v : out.data)
    v = std::ldexp(static_cast<double>(rng.next() >> (64 - bits)), 1 - bits) - 1.0;
  return true;
}

} // namespace attnc::ref
