//===- Storage.cpp - Rounding to storage types and raw buffers --*- C++ -*-===//

#include "attnc/Reference/Storage.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace attnc::ref {

namespace {

// Round half to even of a finite, non-negative double, independent of the
// floating-point environment's rounding mode.
double roundHalfEven(double x) {
  double lower = std::floor(x), diff = x - lower;
  if (diff > 0.5 || (diff == 0.5 && std::fmod(lower, 2.0) != 0))
    return lower + 1;
  return lower;
}

// f16 and bf16 are both 1 sign bit, then 15 - mantBits exponent bits, then
// mantBits fraction bits.
uint16_t encode16(double v, int mantBits, int bias) {
  const int maxField = (1 << (15 - mantBits)) - 1;
  const uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  if (std::isnan(v))
    return sign | maxField << mantBits | 1 << (mantBits - 1);
  double a = std::fabs(v);
  if (std::isinf(a))
    return sign | maxField << mantBits;
  if (a == 0)
    return sign;
  int e = 0;
  std::frexp(a, &e);  // a in [2^(e-1), 2^e)
  int exponent = e - 1;
  if (exponent < 1 - bias) {
    // Subnormal: count units of the smallest subnormal. A result of
    // 2^mantBits is the smallest normal, whose encoding is that same integer.
    return sign | static_cast<uint16_t>(roundHalfEven(std::ldexp(a, bias - 1 + mantBits)));
  }
  double q = roundHalfEven(std::ldexp(a, mantBits - exponent));  // in [2^m, 2^(m+1)]
  if (q == std::ldexp(1.0, mantBits + 1)) {
    q /= 2;
    ++exponent;
  }
  int field = exponent + bias;
  if (field >= maxField)
    return sign | maxField << mantBits;
  return sign | field << mantBits | (static_cast<int>(q) - (1 << mantBits));
}

double decode16(uint16_t bits, int mantBits, int bias) {
  const int maxField = (1 << (15 - mantBits)) - 1;
  double sign = (bits & 0x8000) ? -1.0 : 1.0;
  int field = (bits >> mantBits) & maxField;
  int fraction = bits & ((1 << mantBits) - 1);
  if (field == maxField)
    return fraction ? std::copysign(std::numeric_limits<double>::quiet_NaN(), sign)
                    : sign * std::numeric_limits<double>::infinity();
  if (field == 0)
    return sign * std::ldexp(fraction, 1 - bias - mantBits);
  return sign * std::ldexp(fraction + (1 << mantBits), field - bias - mantBits);
}

} // namespace

uint16_t doubleToF16Bits(double v) { return encode16(v, 10, 15); }
double f16BitsToDouble(uint16_t bits) { return decode16(bits, 10, 15); }
uint16_t doubleToBF16Bits(double v) { return encode16(v, 7, 127); }
double bf16BitsToDouble(uint16_t bits) { return decode16(bits, 7, 127); }

float doubleToF32(double v) {
  // Halfway between FLT_MAX and 2^128: from there on, the value rounds to
  // infinity (the explicit test avoids an out-of-range conversion).
  const double limit = std::ldexp(2.0 - std::ldexp(1.0, -24), 127);
  if (std::fabs(v) >= limit)
    return std::signbit(v) ? -std::numeric_limits<float>::infinity()
                           : std::numeric_limits<float>::infinity();
  return static_cast<float>(v);
}

int32_t doubleToI32(double v) {
  if (std::isnan(v))
    return 0;
  if (v <= -2147483648.0)
    return std::numeric_limits<int32_t>::min();
  if (v >= 2147483647.0)
    return std::numeric_limits<int32_t>::max();
  double r = v < 0 ? -roundHalfEven(-v) : roundHalfEven(v);
  return static_cast<int32_t>(r);
}

double roundToStorage(double v, ast::DType dtype) {
  switch (dtype) {
  case ast::DType::F32: return doubleToF32(v);
  case ast::DType::F16: return f16BitsToDouble(doubleToF16Bits(v));
  case ast::DType::BF16: return bf16BitsToDouble(doubleToBF16Bits(v));
  case ast::DType::I32: return doubleToI32(v);
  case ast::DType::I64: return std::nearbyint(v);
  }
  return v;
}

void roundToStorage(Tensor &t, ast::DType dtype) {
  for (double &v : t.data)
    v = roundToStorage(v, dtype);
}

size_t storageBytes(ast::DType dtype) {
  switch (dtype) {
  case ast::DType::F16: case ast::DType::BF16: return 2;
  case ast::DType::I64: return 8;
  default: return 4;
  }
}

std::vector<uint8_t> packStorage(const Tensor &t, ast::DType dtype) {
  size_t width = storageBytes(dtype);
  std::vector<uint8_t> bytes(t.data.size() * width);
  for (size_t i = 0; i < t.data.size(); ++i) {
    uint8_t *p = bytes.data() + i * width;
    double v = t.data[i];
    switch (dtype) {
    case ast::DType::F32: { float f = doubleToF32(v); std::memcpy(p, &f, 4); break; }
    case ast::DType::I32: { int32_t x = doubleToI32(v); std::memcpy(p, &x, 4); break; }
    case ast::DType::I64: { int64_t x = static_cast<int64_t>(v); std::memcpy(p, &x, 8); break; }
    case ast::DType::F16: { uint16_t h = doubleToF16Bits(v); std::memcpy(p, &h, 2); break; }
    case ast::DType::BF16: { uint16_t h = doubleToBF16Bits(v); std::memcpy(p, &h, 2); break; }
    }
  }
  return bytes;
}

bool unpackStorage(const void *data, size_t bytes, ast::DType dtype,
                   const std::vector<int64_t> &shape, Tensor &out, std::string &error) {
  int64_t count = 0;
  if (!elementCount(shape, count, error))
    return false;
  size_t width = storageBytes(dtype);
  if (bytes != static_cast<size_t>(count) * width) {
    error = "a buffer of " + std::to_string(bytes) + " bytes does not hold a " +
            ast::dtypeName(dtype) + " tensor of shape " + shapeString(shape);
    return false;
  }
  if (count > 0 && !data) {
    error = "null buffer";
    return false;
  }
  out.shape = shape;
  out.data.resize(static_cast<size_t>(count));
  const uint8_t *p = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < out.data.size(); ++i, p += width) {
    switch (dtype) {
    case ast::DType::F32: { float f; std::memcpy(&f, p, 4); out.data[i] = f; break; }
    case ast::DType::I32: { int32_t x; std::memcpy(&x, p, 4); out.data[i] = x; break; }
    case ast::DType::I64: { int64_t x; std::memcpy(&x, p, 8); out.data[i] = static_cast<double>(x); break; }
    case ast::DType::F16: { uint16_t h; std::memcpy(&h, p, 2); out.data[i] = f16BitsToDouble(h); break; }
    case ast::DType::BF16: { uint16_t h; std::memcpy(&h, p, 2); out.data[i] = bf16BitsToDouble(h); break; }
    }
  }
  return true;
}

} // namespace attnc::ref
