//===- NpyTest.cpp - .npy reading and writing -------------------*- C++ -*-===//

#include "attnc/Reference/Npy.h"
#include "attnc/Reference/Storage.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

using namespace attnc::ref;

namespace {

// A hand-built file: magic, version, header length, header, data.
std::string npyFile(const std::string &dict, const std::string &data, int major = 1) {
  std::string header = dict + "\n";
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  size_t n = header.size();
  out.push_back(static_cast<char>(n & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  if (major >= 2) {
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    out.push_back(static_cast<char>((n >> 24) & 0xff));
  }
  return out + header + data;
}

std::string parseError(const std::string &bytes) {
  Tensor t;
  std::string error;
  EXPECT_FALSE(parseNpy(bytes, t, error));
  return error;
}

TEST(Npy, RoundTripsEveryType) {
  Tensor t{{2, 3}, {1.0, -0.5, 0.25, 3.0, -7.0, 100.0}};
  for (NpyType type : {NpyType::F32, NpyType::F64, NpyType::F16, NpyType::I32}) {
    std::string bytes, error;
    ASSERT_TRUE(encodeNpy(t, type, bytes, error)) << error;
    Tensor back;
    NpyType read;
    ASSERT_TRUE(parseNpy(bytes, back, error, &read)) << error;
    EXPECT_EQ(read, type);
    EXPECT_EQ(back.shape, t.shape);
    if (type == NpyType::I32)  // rounded to nearest, ties to even
      EXPECT_EQ(back.data, (std::vector<double>{1, 0, 0, 3, -7, 100}));
    else
      EXPECT_EQ(back.data, t.data);
  }
}

TEST(Npy, HeaderIsAlignedAndReadable) {
  Tensor t{{3}, {0.1, 0.2, 0.3}};
  std::string bytes, error;
  ASSERT_TRUE(encodeNpy(t, NpyType::F32, bytes, error));
  size_t dataStart = bytes.size() - 12;
  EXPECT_EQ(dataStart % 64, 0u);
  EXPECT_EQ(bytes[6], 1);
  size_t headerLength = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
  EXPECT_EQ(headerLength, dataStart - 10);
  std::string header = bytes.substr(10, headerLength);
  EXPECT_EQ(header.find("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), 0u);
  EXPECT_EQ(header.back(), '\n');
  Tensor back;
  ASSERT_TRUE(parseNpy(bytes, back, error));
  EXPECT_EQ(back.data[0], static_cast<double>(0.1f));  // stored as float
}

TEST(Npy, ScalarsAndEmptyArrays) {
  for (const Tensor &t : {Tensor{{}, {2.5}}, Tensor{{0, 4}, {}}, Tensor{{2, 1, 2}, {1, 2, 3, 4}}}) {
    std::string bytes, error;
    ASSERT_TRUE(encodeNpy(t, NpyType::F64, bytes, error));
    Tensor back;
    ASSERT_TRUE(parseNpy(bytes, back, error)) << error;
    EXPECT_EQ(back.shape, t.shape);
    EXPECT_EQ(back.data, t.data);
  }
}

TEST(Npy, AcceptsVersion2AndPythonVariants) {
  std::string data(8, '\0');
  data[3] = 0x3f;  // 1.0f little-endian: 00 00 80 3f
  data[2] = static_cast<char>(0x80);
  data[7] = 0x40;  // 2.0f: 00 00 00 40
  Tensor t;
  std::string error;
  ASSERT_TRUE(parseNpy(npyFile("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L,)}", data, 2), t, error))
      << error;
  EXPECT_EQ(t.shape, std::vector<int64_t>{2});
  EXPECT_EQ(t.data, (std::vector<double>{1.0, 2.0}));
}

TEST(Npy, FileRoundTrip) {
  std::string path = ::testing::TempDir() + "/attnc_npy_roundtrip.npy";
  Tensor t{{2, 2}, {1, 2, 3, 4}};
  std::string error;
  ASSERT_TRUE(writeNpy(path, t, NpyType::I32, error)) << error;
  Tensor back;
  NpyType type;
  ASSERT_TRUE(readNpy(path, back, error, &type)) << error;
  EXPECT_EQ(type, NpyType::I32);
  EXPECT_EQ(back.data, t.data);
  std::remove(path.c_str());
  EXPECT_FALSE(readNpy(path, back, error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

TEST(Npy, MalformedFilesGiveClearErrors) {
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::string data(8, '\0');
  auto contains = [](const std::string &s, const std::string &part) {
    return s.find(part) != std::string::npos;
  };
  EXPECT_TRUE(contains(parseError(""), "bad magic"));
  EXPECT_TRUE(contains(parseError("PK\x03\x04 not numpy"), "bad magic"));
  EXPECT_TRUE(contains(parseError(npyFile(good, data, 4)), "version 4"));
  EXPECT_TRUE(contains(parseError(npyFile(good, data).substr(0, 9)), "truncated"));
  EXPECT_TRUE(contains(parseError(npyFile(good, data).substr(0, 30)), "truncated"));
  EXPECT_TRUE(contains(parseError(npyFile(good, data.substr(0, 5))), "truncated"));
  EXPECT_TRUE(contains(parseError(npyFile(good, data + "xx")), "needs 8 bytes"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data)),
                       "big-endian"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", data)),
                       "unsupported element type '<c8'"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data)),
                       "Fortran"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '<f4', 'shape': (2,), }", data)), "lacks"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data)),
                       "unexpected key"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data)),
                       "non-negative"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", data)),
                       "overflows"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536), }", data)),
                       "2^31"));
  EXPECT_TRUE(contains(parseError(npyFile("['descr']", data)), "not a dict"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}", data)),
                       "fortran_order"));
  EXPECT_TRUE(contains(parseError(npyFile("{'descr': '<f4", data)), "malformed"));
}

// As NumPy reads headers (ast.literal_eval of a dict literal).
TEST(Npy, HeaderIsAPythonDictLiteral) {
  Tensor t;
  std::string error;
  // A repeated key keeps its last value, the shape included.
  ASSERT_TRUE(parseNpy(npyFile("{'descr': '<i4', 'shape': (5, 7), 'fortran_order': False, "
                               "'shape': (2,), 'descr': '<f4'}",
                               std::string(8, '\0')),
                       t, error))
      << error;
  EXPECT_EQ(t.shape, std::vector<int64_t>({2}));
  // Escapes in strings, double quotes.
  ASSERT_TRUE(parseNpy(npyFile("{\"descr\": '\\x3cf4', 'fortran_order': False, 'shape': (2,)}",
                               std::string(8, '\0')),
                       t, error))
      << error;
  // Trailing characters after the element type, or after the dict.
  EXPECT_EQ(parseError(npyFile("{'descr': '<f4x', 'fortran_order': False, 'shape': (2,)}",
                               std::string(8, '\0'))),
            "the element type '<f4x' has trailing characters after '<f4'");
  EXPECT_EQ(parseError(npyFile(std::string("{'descr': '<f4\0\x01', 'fortran_order': False, "
                                           "'shape': (2,)}",
                                           57),
                               std::string(8, '\0'))),
            "the element type '<f4\\x00\\x01' has trailing characters after '<f4'");
  EXPECT_EQ(parseError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x",
                               std::string(8, '\0'))),
            "malformed .npy header: unexpected text after the header's dict");
}

// The header is validated against the file's size before the data is read:
// a file that claims 2^31 elements of 8 bytes is refused without reading
// them, and so is one whose header claims more bytes than the file has.
TEST(Npy, ReadNpyChecksTheHeaderFirst) {
  std::string path = ::testing::TempDir() + "/attnc_npy_header_first.npy";
  auto write = [&](const std::string &bytes) {
    FILE *f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  };
  Tensor t;
  std::string error;
  write(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824, 2), }", "12345678"));
  EXPECT_FALSE(readNpy(path, t, error));
  EXPECT_NE(error.find("needs 17179869184 bytes of data but the file has 8 (truncated)"),
            std::string::npos)
      << error;
  std::string huge = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "");
  huge[8] = '\xff';
  huge[9] = '\xff';
  write(huge);
  EXPECT_FALSE(readNpy(path, t, error));
  EXPECT_NE(error.find("truncated .npy header (it claims 65535 bytes)"), std::string::npos) << error;
  std::remove(path.c_str());
}

TEST(Npy, CorruptedBytesNeverCrash) {
  Tensor t{{3, 5}, {}};
  for (int i = 0; i < 15; ++i)
    t.data.push_back(i * 0.5);
  std::string good, error;
  ASSERT_TRUE(encodeNpy(t, NpyType::F32, good, error));
  // Overwrite, truncate and extend at every position with a few byte values.
  uint64_t state = 12345;
  for (int round = 0; round < 4000; ++round) {
    std::string bytes = good;
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    size_t pos = (state >> 33) % bytes.size();
    switch (round % 4) {
    case 0: bytes[pos] = static_cast<char>(state >> 20); break;
    case 1: bytes.resize(pos); break;
    case 2: bytes.insert(pos, 1, static_cast<char>(state >> 24)); break;
    case 3: bytes[pos] = "(),:'{}\x00\xff 9"[round % 12]; break;
    }
    Tensor out;
    if (!parseNpy(bytes, out, error)) {
      EXPECT_FALSE(error.empty());
      continue;
    }
    int64_t count = 1;
    for (int64_t e : out.shape)
      count *= e;
    EXPECT_EQ(static_cast<int64_t>(out.data.size()), count);
  }
}

TEST(Npy, EncodeRejectsInconsistentTensor) {
  std::string bytes, error;
  EXPECT_FALSE(encodeNpy(Tensor{{2, 2}, {1, 2, 3}}, NpyType::F32, bytes, error));
  EXPECT_NE(error.find("holds 3 values"), std::string::npos) << error;
}

} // namespace
