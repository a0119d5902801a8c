//===- StorageTest.cpp - Rounding to f32/f16/bf16/i32 storage ---*- C++ -*-===//

#include "attnc/Reference/Storage.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

using namespace attnc;
using namespace attnc::ref;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(Storage, F16KnownBitPatterns) {
  EXPECT_EQ(doubleToF16Bits(1.0), 0x3C00);
  EXPECT_EQ(doubleToF16Bits(-2.0), 0xC000);
  EXPECT_EQ(doubleToF16Bits(0.1), 0x2E66);
  EXPECT_EQ(doubleToF16Bits(1.0 / 3.0), 0x3555);
  EXPECT_EQ(doubleToF16Bits(65504.0), 0x7BFF);       // largest finite
  EXPECT_EQ(doubleToF16Bits(65519.99), 0x7BFF);
  EXPECT_EQ(doubleToF16Bits(65520.0), 0x7C00);       // rounds to infinity
  EXPECT_EQ(doubleToF16Bits(-1e10), 0xFC00);
  EXPECT_EQ(doubleToF16Bits(std::ldexp(1.0, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(doubleToF16Bits(std::ldexp(1.0, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(doubleToF16Bits(0.0), 0x0000);
  EXPECT_EQ(doubleToF16Bits(-0.0), 0x8000);
  EXPECT_EQ(doubleToF16Bits(kInf), 0x7C00);
  EXPECT_EQ(doubleToF16Bits(-kInf), 0xFC00);
  EXPECT_EQ(doubleToF16Bits(kNaN) & 0x7E00, 0x7E00);
}

TEST(Storage, F16RoundsHalfToEven) {
  EXPECT_EQ(doubleToF16Bits(1.0 + std::ldexp(1.0, -11)), 0x3C00);      // tie, down to even
  EXPECT_EQ(doubleToF16Bits(1.0 + 3 * std::ldexp(1.0, -11)), 0x3C02);  // tie, up to even
  EXPECT_EQ(doubleToF16Bits(std::ldexp(1.0, -25)), 0x0000);            // subnormal tie
  EXPECT_EQ(doubleToF16Bits(3 * std::ldexp(1.0, -25)), 0x0002);
  EXPECT_EQ(doubleToF16Bits(std::ldexp(1.0, -25) * 1.0001), 0x0001);
  // Rounding straight from double: via float this would become a tie and
  // round down to 0x3C00.
  EXPECT_EQ(doubleToF16Bits(1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)), 0x3C01);
}

TEST(Storage, BF16KnownBitPatterns) {
  EXPECT_EQ(doubleToBF16Bits(1.0), 0x3F80);
  EXPECT_EQ(doubleToBF16Bits(-2.0), 0xC000);
  EXPECT_EQ(doubleToBF16Bits(0.1), 0x3DCD);
  EXPECT_EQ(doubleToBF16Bits(M_PI), 0x4049);
  EXPECT_EQ(doubleToBF16Bits(1.0 + std::ldexp(1.0, -8)), 0x3F80);      // tie to even
  EXPECT_EQ(doubleToBF16Bits(1.0 + 3 * std::ldexp(1.0, -8)), 0x3F82);
  EXPECT_EQ(doubleToBF16Bits(std::ldexp(255.0, 120)), 0x7F7F);         // largest finite
  EXPECT_EQ(doubleToBF16Bits(FLT_MAX), 0x7F80);                        // rounds to infinity
  EXPECT_EQ(doubleToBF16Bits(std::ldexp(1.0, -133)), 0x0001);          // smallest subnormal
  EXPECT_EQ(doubleToBF16Bits(std::ldexp(1.0, -126)), 0x0080);          // smallest normal
  EXPECT_EQ(doubleToBF16Bits(-kInf), 0xFF80);
  EXPECT_EQ(doubleToBF16Bits(kNaN) & 0x7FC0, 0x7FC0);
  EXPECT_DOUBLE_EQ(bf16BitsToDouble(0x4049), 3.140625);
}

TEST(Storage, EveryNonNaNPatternRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    uint16_t b = static_cast<uint16_t>(bits);
    double h = f16BitsToDouble(b);
    if (std::isnan(h))
      EXPECT_TRUE(std::isnan(f16BitsToDouble(doubleToF16Bits(h))));
    else
      EXPECT_EQ(doubleToF16Bits(h), b) << std::hex << bits;
    double bf = bf16BitsToDouble(b);
    if (std::isnan(bf))
      EXPECT_TRUE(std::isnan(bf16BitsToDouble(doubleToBF16Bits(bf))));
    else
      EXPECT_EQ(doubleToBF16Bits(bf), b) << std::hex << bits;
  }
}

TEST(Storage, BF16AgreesWithFloatBitTruncationRule) {
  // For values exactly representable in float, rounding a float's bits to
  // the upper half (round to nearest even) is the usual definition of bf16.
  for (float f : {0.3f, -1.7e-3f, 123456.789f, 7.0e-39f, 2.5e30f}) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    uint32_t rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16;
    EXPECT_EQ(doubleToBF16Bits(f), rounded) << f;
  }
}

TEST(Storage, F32AndI32) {
  EXPECT_EQ(doubleToF32(0.1), 0.1f);
  EXPECT_EQ(doubleToF32(FLT_MAX), FLT_MAX);
  EXPECT_EQ(doubleToF32(1e39), std::numeric_limits<float>::infinity());
  EXPECT_EQ(doubleToF32(-std::ldexp(2.0 - std::ldexp(1.0, -24), 127)),
            -std::numeric_limits<float>::infinity());
  EXPECT_EQ(doubleToF32(std::ldexp(2.0 - std::ldexp(1.0, -23), 127)), FLT_MAX);
  EXPECT_EQ(doubleToI32(2.5), 2);
  EXPECT_EQ(doubleToI32(3.5), 4);
  EXPECT_EQ(doubleToI32(-2.5), -2);
  EXPECT_EQ(doubleToI32(-2.6), -3);
  EXPECT_EQ(doubleToI32(1e20), INT32_MAX);
  EXPECT_EQ(doubleToI32(-1e20), INT32_MIN);
  EXPECT_EQ(doubleToI32(kNaN), 0);
}

TEST(Storage, RoundToStorageTensor) {
  Tensor t{{3}, {0.1, 1.0 + std::ldexp(1.0, -9), 70000.0}};
  Tensor h = t;
  roundToStorage(h, ast::DType::F16);
  EXPECT_EQ(h.data[0], f16BitsToDouble(0x2E66));
  EXPECT_EQ(h.data[1], 1.0 + std::ldexp(1.0, -9));
  EXPECT_EQ(h.data[2], kInf);
  Tensor f = t;
  roundToStorage(f, ast::DType::F32);
  EXPECT_EQ(f.data[0], static_cast<double>(0.1f));
}

TEST(Storage, PackAndUnpack) {
  Tensor t{{2, 2}, {1.0, -0.5, 0.1, 3.0}};
  for (ast::DType dtype : {ast::DType::F32, ast::DType::F16, ast::DType::BF16, ast::DType::I32}) {
    std::vector<uint8_t> bytes = packStorage(t, dtype);
    ASSERT_EQ(bytes.size(), 4 * storageBytes(dtype));
    Tensor back;
    std::string error;
    ASSERT_TRUE(unpackStorage(bytes.data(), bytes.size(), dtype, t.shape, back, error)) << error;
    EXPECT_EQ(back.shape, t.shape);
    for (size_t i = 0; i < 4; ++i)
      EXPECT_EQ(back.data[i], roundToStorage(t.data[i], dtype));
  }
  std::vector<uint8_t> bytes = packStorage(t, ast::DType::F16);
  Tensor back;
  std::string error;
  EXPECT_FALSE(unpackStorage(bytes.data(), bytes.size() - 1, ast::DType::F16, t.shape, back, error));
  EXPECT_NE(error.find("does not hold"), std::string::npos) << error;
  EXPECT_FALSE(unpackStorage(bytes.data(), bytes.size(), ast::DType::F16, {-1, 2}, back, error));
}

} // namespace
