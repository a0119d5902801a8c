//===- weights_test.cpp - Weights files and NAME_load_params --------------===//
//
// The files are written here byte by byte from the formats' specifications
// (safetensors, NumPy's .npy, zip's stored entries with and without zip64
// fields, as numpy.savez writes them), so the readers are checked against
// the formats, not against themselves.
//
//===----------------------------------------------------------------------===//

#include "model_builder.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

using namespace attnc_test;

namespace {

using Bytes = std::string;

void putLE(Bytes &b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i)
    b.push_back(static_cast<char>(v >> (8 * i) & 0xFF));
}

template <typename T> Bytes raw(std::initializer_list<T> values) {
  Bytes b;
  for (T v : values)
    b.append(reinterpret_cast<const char *>(&v), sizeof v);
  return b;
}

/// A safetensors file: the header JSON as given, then the data.
Bytes safetensors(const std::string &header, const Bytes &data) {
  Bytes b;
  putLE(b, header.size(), 8);
  return b + header + data;
}

/// A version 1.0 .npy image; `pad` more header bytes shift the data.
Bytes npy(const std::string &descr, const std::string &shape, const Bytes &data,
          bool fortran = false, size_t pad = 0) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " +
                     (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
  dict += std::string(pad, ' ') + "\n";
  Bytes b = "\x93NUMPY";
  b += '\x01';
  b += '\x00';
  putLE(b, dict.size(), 2);
  return b + dict + data;
}

struct ZipEntry {
  std::string name;
  Bytes data;
  bool zip64 = false; // sizes and offset in a zip64 extra field, as numpy.savez writes
  int method = 0;     // 0 stored, 8 deflated (the bytes are then left as given)
};

/// A zip archive of the entries (no compression is performed).
Bytes zip(const std::vector<ZipEntry> &entries) {
  Bytes out, dir;
  for (const ZipEntry &e : entries) {
    uint64_t local = out.size();
    Bytes extra;
    if (e.zip64) {
      putLE(extra, 1, 2);
      putLE(extra, 16, 2);
      putLE(extra, e.data.size(), 8);
      putLE(extra, e.data.size(), 8);
    }
    uint32_t size32 = e.zip64 ? 0xFFFFFFFF : static_cast<uint32_t>(e.data.size());
    putLE(out, 0x04034b50, 4);
    putLE(out, 45, 2);        // version needed
    putLE(out, 0, 2);         // flags
    putLE(out, e.method, 2);
    putLE(out, 0, 4);         // time, date
    putLE(out, 0, 4);         // crc (not checked by readers of stored data)
    putLE(out, size32, 4);
    putLE(out, size32, 4);
    putLE(out, e.name.size(), 2);
    putLE(out, extra.size(), 2);
    out += e.name + extra + e.data;

    Bytes cextra;
    if (e.zip64) {
      putLE(cextra, 1, 2);
      putLE(cextra, 24, 2);
      putLE(cextra, e.data.size(), 8);
      putLE(cextra, e.data.size(), 8);
      putLE(cextra, local, 8);
    }
    putLE(dir, 0x02014b50, 4);
    putLE(dir, 45, 2);
    putLE(dir, 45, 2);
    putLE(dir, 0, 2);
    putLE(dir, e.method, 2);
    putLE(dir, 0, 4);
    putLE(dir, 0, 4);
    putLE(dir, size32, 4);
    putLE(dir, size32, 4);
    putLE(dir, e.name.size(), 2);
    putLE(dir, cextra.size(), 2);
    putLE(dir, 0, 2); // comment
    putLE(dir, 0, 2); // disk
    putLE(dir, 0, 2); // internal attributes
    putLE(dir, 0, 4); // external attributes
    putLE(dir, e.zip64 ? 0xFFFFFFFF : local, 4);
    dir += e.name + cextra;
  }
  uint64_t dirAt = out.size();
  out += dir;
  putLE(out, 0x06054b50, 4);
  putLE(out, 0, 4);
  putLE(out, entries.size(), 2);
  putLE(out, entries.size(), 2);
  putLE(out, dir.size(), 4);
  putLE(out, dirAt, 4);
  putLE(out, 0, 2);
  return out;
}

std::string writeFile(const std::string &name, const Bytes &bytes) {
  std::string path = ::testing::TempDir() + "attnc_weights_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

/// Opens `bytes` written as `name`, expecting success.
attnc_weights *openBytes(const std::string &name, const Bytes &bytes) {
  attnc_weights *w = nullptr;
  EXPECT_SUCCESS(attnc_weights_open(writeFile(name, bytes).c_str(), &w));
  return w;
}

/// Expects opening `bytes` to fail with `status` and `piece`.
void expectOpenFails(const std::string &name, const Bytes &bytes, attnc_status status,
                     const std::string &piece) {
  attnc_weights *w = reinterpret_cast<attnc_weights *>(1);
  EXPECT_TRUE(failedWith(attnc_weights_open(writeFile(name, bytes).c_str(), &w), status, piece))
      << name;
  EXPECT_EQ(w, nullptr);
}

std::vector<int64_t> shapeOf(const attnc_tensor &t) {
  return std::vector<int64_t>(t.shape, t.shape + t.rank);
}

template <typename T> std::vector<T> valuesOf(const attnc_tensor &t, size_t n) {
  std::vector<T> v(n);
  std::memcpy(v.data(), t.data, n * sizeof(T));
  return v;
}

const Bytes kSixFloats = raw<float>({1, 2, 3, 4, 5, 6});

TEST(Weights, SafetensorsTensorsByIndexAndName) {
  std::string header = R"({"__metadata__": {"format": "pt"},
    "enc.layer.0.w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
    "bias": {"shape": [3], "data_offsets": [24, 30], "dtype": "BF16"},
    "caf\u00e9\"s": {"dtype": "I64", "shape": [], "data_offsets": [30, 38]},
    "mask": {"dtype": "U8", "shape": [2], "data_offsets": [38, 40]}})";
  Bytes data = kSixFloats + raw<uint16_t>({0x3F80, 0xC000, 0x4040}) + raw<int64_t>({-7}) + Bytes("\x01\x00", 2);
  attnc_weights *w = openBytes("basic.safetensors", safetensors(header, data));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(attnc_weights_count(w), 4u);

  const char *name = nullptr;
  attnc_tensor t;
  EXPECT_SUCCESS(attnc_weights_at(w, 0, &name, &t));
  EXPECT_STREQ(name, "enc.layer.0.w");
  EXPECT_EQ(t.dtype, ATTNC_F32);
  EXPECT_EQ(shapeOf(t), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(valuesOf<float>(t, 6), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(t.strides, nullptr);

  EXPECT_SUCCESS(attnc_weights_at(w, 2, &name, &t));
  EXPECT_STREQ(name, "caf\xC3\xA9\"s"); // \u00e9 and an escaped quote decoded
  EXPECT_EQ(t.dtype, ATTNC_I64);
  EXPECT_EQ(t.rank, 0);
  EXPECT_EQ(valuesOf<int64_t>(t, 1)[0], -7);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 8, 0u) << "an i64 at byte 30 is copied to align it";

  // A dtype outside attnc_dtype names the tensor and still gives its shape.
  EXPECT_TRUE(failedWith(attnc_weights_at(w, 3, &name, &t), ATTNC_ERR_UNSUPPORTED,
                         "tensor 'mask' is U8, a dtype attnc does not read"));
  EXPECT_STREQ(name, "mask");
  EXPECT_EQ(shapeOf(t), (std::vector<int64_t>{2}));
  EXPECT_TRUE(failedWith(attnc_weights_at(w, 4, &name, &t), ATTNC_ERR_INVALID_ARGUMENT,
                         "index 4, but it holds 4 tensors"));

  // The lookup rule: the exact name, else '.' read as '_'.
  EXPECT_SUCCESS(attnc_weights_lookup(w, "bias", &name, &t));
  EXPECT_EQ(t.dtype, ATTNC_BF16);
  EXPECT_SUCCESS(attnc_weights_lookup(w, "enc_layer_0_w", &name, &t));
  EXPECT_STREQ(name, "enc.layer.0.w");
  EXPECT_TRUE(failedWith(attnc_weights_lookup(w, "enc_layer_1_w", &name, &t),
                         ATTNC_ERR_INVALID_ARGUMENT, "no tensor named 'enc_layer_1_w'"));
  EXPECT_TRUE(failedWith(attnc_weights_lookup(w, "enc.layer_0.w", &name, &t),
                         ATTNC_ERR_INVALID_ARGUMENT, "no tensor named"))
      << "the rule replaces every '.', not some";
  attnc_weights_close(w);
}

TEST(Weights, TwoTensorsReadingAsOneNameAreAmbiguous) {
  std::string header = R"({"a.b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                           "a_b.x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
                           "a.b.x": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})";
  attnc_weights *w = openBytes("ambiguous.safetensors", safetensors(header, raw<float>({1, 2, 3})));
  attnc_tensor t;
  EXPECT_TRUE(failedWith(attnc_weights_lookup(w, "a_b_x", nullptr, &t), ATTNC_ERR_INVALID_ARGUMENT,
                         "both 'a_b.x' and 'a.b.x' could be 'a_b_x'"));
  EXPECT_SUCCESS(attnc_weights_lookup(w, "a.b.x", nullptr, &t)); // exact wins
  EXPECT_EQ(valuesOf<float>(t, 1)[0], 3.0f);
  attnc_weights_close(w);
}

TEST(Weights, CorruptSafetensorsAreErrorsNamingTheFile) {
  Bytes data = kSixFloats;
  expectOpenFails("syntax.safetensors", safetensors(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]} "x")", Bytes(4, '\0')),
                  ATTNC_ERR_INVALID_ARGUMENT, "the safetensors header is not valid JSON near byte 69");
  Bytes tooLong;
  putLE(tooLong, 1000, 8);
  expectOpenFails("claims.safetensors", tooLong + "{}", ATTNC_ERR_INVALID_ARGUMENT,
                  "the safetensors header claims 1000 bytes, but the file has 2");
  expectOpenFails("outside.safetensors",
                  safetensors(R"({"w": {"dtype": "F32", "shape": [6], "data_offsets": [0, 28]}})", data),
                  ATTNC_ERR_INVALID_ARGUMENT, "tensor 'w' lies at bytes [0, 28) of a data section of 24 bytes");
  expectOpenFails("count.safetensors",
                  safetensors(R"({"w": {"dtype": "F32", "shape": [5], "data_offsets": [0, 24]}})", data),
                  ATTNC_ERR_INVALID_ARGUMENT, "tensor 'w' holds 24 bytes");
  expectOpenFails("overflow.safetensors",
                  safetensors(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 24]}})", data),
                  ATTNC_ERR_INVALID_ARGUMENT, "more than int64 counts");
  expectOpenFails("twice.safetensors",
                  safetensors(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                  "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", data),
                  ATTNC_ERR_INVALID_ARGUMENT, "tensor 'w' appears twice");
  expectOpenFails("dtype.safetensors",
                  safetensors(R"({"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}})", data),
                  ATTNC_ERR_UNSUPPORTED, "tensor 'w' has the unknown dtype 'C64'");
  expectOpenFails("entry.safetensors",
                  safetensors(R"({"w": {"dtype": "F32", "shape": [1]}})", data),
                  ATTNC_ERR_INVALID_ARGUMENT, "the safetensors header entry of 'w' is malformed");
  expectOpenFails("json.safetensors", safetensors(R"({"w": {"dtype": "F32", "shape": [1], )", data),
                  ATTNC_ERR_INVALID_ARGUMENT, "malformed");
  expectOpenFails("text.bin", "hello, world", ATTNC_ERR_INVALID_ARGUMENT,
                  "not a weights file (expected safetensors, .npz or .npy)");
  expectOpenFails("empty.bin", "", ATTNC_ERR_INVALID_ARGUMENT, "not a weights file");

  attnc_weights *w = nullptr;
  std::string missing = ::testing::TempDir() + "attnc_weights_no_such_file";
  std::remove(missing.c_str());
  EXPECT_TRUE(failedWith(attnc_weights_open(missing.c_str(), &w), ATTNC_ERR_INVALID_ARGUMENT,
                         missing + ": No such file or directory"));
  EXPECT_TRUE(failedWith(attnc_weights_open(::testing::TempDir().c_str(), &w),
                         ATTNC_ERR_INVALID_ARGUMENT, "not a regular file"));
  EXPECT_TRUE(failedWith(attnc_weights_open(nullptr, &w), ATTNC_ERR_NULL_POINTER, "path is NULL"));
  attnc_weights_close(nullptr); // a no-op
  EXPECT_EQ(attnc_weights_count(nullptr), 0u);
}

TEST(Weights, NpyIsOneTensorNamedAfterTheFile) {
  attnc_weights *w = openBytes("table.npy", npy("<f4", "(3, 2)", kSixFloats));
  const char *name;
  attnc_tensor t;
  EXPECT_SUCCESS(attnc_weights_at(w, 0, &name, &t));
  EXPECT_STREQ(name, "attnc_weights_table");
  EXPECT_EQ(shapeOf(t), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(valuesOf<float>(t, 6)[5], 6.0f);
  attnc_weights_close(w);

  expectOpenFails("fortran.npy", npy("<f4", "(3, 2)", kSixFloats, true), ATTNC_ERR_UNSUPPORTED,
                  "is stored in Fortran order");
  expectOpenFails("big.npy", npy(">f4", "(6,)", kSixFloats), ATTNC_ERR_UNSUPPORTED,
                  "a dtype attnc does not read");
  expectOpenFails("short.npy", npy("<f4", "(7,)", kSixFloats), ATTNC_ERR_INVALID_ARGUMENT,
                  "holds 24 bytes");
  expectOpenFails("shape.npy", npy("<f4", "[6]", kSixFloats), ATTNC_ERR_INVALID_ARGUMENT,
                  "malformed .npy shape");
}

/// A .npy image whose header is `dict` as given, then `data`.
Bytes rawNpy(const std::string &dict, const Bytes &data) {
  Bytes b = "\x93NUMPY";
  b += '\x01';
  b += '\x00';
  putLE(b, dict.size(), 2);
  return b + dict + data;
}

TEST(Weights, NpyHeadersEndingAtAKeyAreRefused) {
  // A key at the very end of the header has no value inside it: found by
  // fuzzing, such a header once sent the reader past the end of the file.
  expectOpenFails("descr_at_end.npy", rawNpy("{'shape': (1,), 'descr':", kSixFloats.substr(0, 4)),
                  ATTNC_ERR_UNSUPPORTED, "a dtype attnc does not read");
  expectOpenFails("order_at_end.npy",
                  rawNpy("{'descr': '<f4', 'shape': (1,), 'fortran_order': Fa",
                         kSixFloats.substr(0, 4)),
                  ATTNC_ERR_UNSUPPORTED, "Fortran order");
  expectOpenFails("quote_at_end.npy", rawNpy("{'shape': (1,), 'descr': '", kSixFloats.substr(0, 4)),
                  ATTNC_ERR_UNSUPPORTED, "a dtype attnc does not read");
}

TEST(Weights, NpzEntriesAreStoredNpyImages) {
  // numpy.savez's layout: "name.npy" entries, zip64 extras, data anywhere.
  Bytes a = npy("<f4", "(2, 3)", kSixFloats, false, 1);
  Bytes b = npy("<i8", "(2,)", raw<int64_t>({5, 6}));
  Bytes scalar = npy("<f8", "()", raw<double>({0.25}));
  attnc_weights *w = openBytes(
      "arrays.npz",
      zip({{"layer.w.npy", a, true}, {"ids.npy", b, false}, {"s.npy", scalar, true},
           {"README", "not an array", false}}));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(attnc_weights_count(w), 3u);
  attnc_tensor t;
  const char *name;
  EXPECT_SUCCESS(attnc_weights_lookup(w, "layer_w", &name, &t));
  EXPECT_STREQ(name, "layer.w");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 4, 0u);
  EXPECT_EQ(valuesOf<float>(t, 6), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_SUCCESS(attnc_weights_lookup(w, "ids", &name, &t));
  EXPECT_EQ(t.dtype, ATTNC_I64);
  EXPECT_EQ(valuesOf<int64_t>(t, 2), (std::vector<int64_t>{5, 6}));
  EXPECT_SUCCESS(attnc_weights_lookup(w, "s", &name, &t));
  EXPECT_EQ(t.dtype, ATTNC_F64);
  EXPECT_EQ(t.rank, 0);
  EXPECT_EQ(valuesOf<double>(t, 1)[0], 0.25);
  attnc_weights_close(w);

  expectOpenFails("compressed.npz", zip({{"w.npy", a, false, 8}}), ATTNC_ERR_UNSUPPORTED,
                  "entry 'w' is compressed; attnc reads weights in place, so save them with "
                  "numpy.savez, not numpy.savez_compressed");
  Bytes cut = zip({{"w.npy", a, false}});
  expectOpenFails("cut.npz", cut.substr(0, 40), ATTNC_ERR_INVALID_ARGUMENT,
                  "its zip directory is missing");
  Bytes bad = zip({{"w.npy", a, false}});
  bad[bad.size() - 6] = 0x7F; // the directory's offset now points past the end
  expectOpenFails("bad.npz", bad, ATTNC_ERR_INVALID_ARGUMENT, "zip directory is corrupt at entry 0");
}

//===----------------------------------------------------------------------===//
// NAME_load_params
//===----------------------------------------------------------------------===//

/// model m { dim S, E = 4  input x: f32[S, E]
///           param layer_w: f32[E, E], layer_b: bf16[E], pos: f32[S, E], idx: i32[S] ... }
Model paramsModel() {
  ModelBuilder b("m");
  Expr S = b.dim("S"), E = b.dim("E", 4);
  b.input("x", ATTNC_F32, {S, E})
      .param("layer_w", ATTNC_F32, {E, E})
      .param("layer_b", ATTNC_BF16, {E})
      .param("pos", ATTNC_F32, {S, E})
      .param("idx", ATTNC_I32, {S})
      .output("o", ATTNC_F32, {S, E});
  return b.build();
}

struct ParamFile {
  std::vector<float> w = [] {
    std::vector<float> v(16);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = 0.5f * static_cast<float>(i);
    return v;
  }();
  // f32 values whose bf16 rounding is known: a tie to even down, a tie to
  // even up, a value that rounds up, and a NaN.
  std::vector<uint32_t> b = {0x3F808000, 0x3F818000, 0x3F80C001, 0x7FC00001};
  // f16: 1.5, -2, 65504, the smallest subnormal 2^-24, and infinity.
  std::vector<uint16_t> pos = {0x3E00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0, 0, 0,
                               0,      0,      0,      0,      0,      0, 0, 0};
  std::vector<int64_t> idx = {0, -3, 2147483647, 1};

  Bytes file(int64_t posRows = 4, int64_t wCols = 4) const {
    std::string header =
        "{\"layer.w\": {\"dtype\": \"F32\", \"shape\": [4, " + std::to_string(wCols) +
        "], \"data_offsets\": [0, " + std::to_string(16 * wCols) + "]}," +
        " \"layer.b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [64, 80]}," +
        " \"pos\": {\"dtype\": \"F16\", \"shape\": [" + std::to_string(posRows) +
        ", 4], \"data_offsets\": [80, " + std::to_string(80 + 8 * posRows) + "]}," +
        " \"idx\": {\"dtype\": \"I64\", \"shape\": [4], \"data_offsets\": [112, 144]}}";
    Bytes data(reinterpret_cast<const char *>(w.data()), 64);
    data.append(reinterpret_cast<const char *>(b.data()), 16);
    data.append(reinterpret_cast<const char *>(pos.data()), 32);
    data.append(reinterpret_cast<const char *>(idx.data()), 32);
    return safetensors(header, data);
  }
};

attnc_status loadParams(const Model &m, attnc_weights *w, const int64_t *dims, const void **p) {
  return attnc_model_load_params(m.sig.data(), m.strings.c_str(), w, dims, p);
}

TEST(LoadParams, FillsEveryParamByNameConvertingTypes) {
  Model m = paramsModel();
  ParamFile f;
  attnc_weights *w = openBytes("params.safetensors", f.file());
  const void *params[4] = {};
  EXPECT_SUCCESS(loadParams(m, w, nullptr, params)); // S taken from the params: 4

  attnc_tensor t;
  EXPECT_SUCCESS(attnc_weights_lookup(w, "layer.w", nullptr, &t));
  EXPECT_EQ(params[0], t.data) << "a param of the file's dtype is used in place";
  EXPECT_EQ(static_cast<const float *>(params[0])[3], 1.5f);

  const uint16_t *b = static_cast<const uint16_t *>(params[1]);
  EXPECT_EQ(b[0], 0x3F80);
  EXPECT_EQ(b[1], 0x3F82);
  EXPECT_EQ(b[2], 0x3F81);
  EXPECT_EQ(b[3] & 0x7F80, 0x7F80);
  EXPECT_NE(b[3] & 0x7F, 0) << "NaN stays NaN";

  const float *pos = static_cast<const float *>(params[2]);
  EXPECT_EQ(pos[0], 1.5f);
  EXPECT_EQ(pos[1], -2.0f);
  EXPECT_EQ(pos[2], 65504.0f);
  EXPECT_EQ(pos[3], 0x1p-24f);
  EXPECT_EQ(pos[4], INFINITY);

  const int32_t *idx = static_cast<const int32_t *>(params[3]);
  EXPECT_EQ(idx[1], -3);
  EXPECT_EQ(idx[2], 2147483647);

  // A second load reuses the converted copies.
  const void *again[4] = {};
  int64_t dims[1] = {4};
  EXPECT_SUCCESS(loadParams(m, w, dims, again));
  EXPECT_EQ(std::vector<const void *>(again, again + 4), std::vector<const void *>(params, params + 4));
  attnc_weights_close(w);
}

TEST(LoadParams, FailuresNameTheParamAndLeaveTheStructAlone) {
  Model m = paramsModel();
  ParamFile f;
  const void *params[4] = {};
  const void *untouched[4] = {};

  attnc_weights *w = openBytes("params2.safetensors", f.file());
  int64_t five[1] = {5};
  EXPECT_TRUE(failedWith(loadParams(m, w, five, params), ATTNC_ERR_SHAPE_MISMATCH,
                         "param 'pos' is f32[S, E] (S = 5, E = 4), but 'pos' in "));
  EXPECT_TRUE(lastErrorContains("params2.safetensors has shape [4, 4]"));
  int64_t negative[1] = {-1};
  EXPECT_TRUE(failedWith(loadParams(m, w, negative, params), ATTNC_ERR_INVALID_ARGUMENT,
                         "dim S is -1, must be >= 0"));
  EXPECT_TRUE(failedWith(loadParams(m, nullptr, nullptr, params), ATTNC_ERR_NULL_POINTER,
                         "weights is NULL"));
  EXPECT_TRUE(failedWith(loadParams(m, w, nullptr, nullptr), ATTNC_ERR_NULL_POINTER,
                         "params is NULL, but model 'm' has 4 params"));
  attnc_weights_close(w);

  // pos has 3 rows, idx 4: S cannot be both.
  w = openBytes("params3.safetensors", f.file(3));
  EXPECT_TRUE(failedWith(loadParams(m, w, nullptr, params), ATTNC_ERR_SHAPE_MISMATCH,
                         "param 'idx' is i32[S] (S = 3), but 'idx' in"));
  attnc_weights_close(w);

  w = openBytes("params4.safetensors", f.file(4, 3));
  EXPECT_TRUE(failedWith(loadParams(m, w, nullptr, params), ATTNC_ERR_SHAPE_MISMATCH,
                         "param 'layer_w' is f32[E, E] (E = 4), but 'layer.w' in"));
  attnc_weights_close(w);

  ParamFile big;
  big.idx[0] = int64_t(1) << 40;
  w = openBytes("params5.safetensors", big.file());
  EXPECT_TRUE(failedWith(loadParams(m, w, nullptr, params), ATTNC_ERR_DTYPE_MISMATCH,
                         "param 'idx' is i32, but 'idx' in"));
  EXPECT_TRUE(lastErrorContains("holds 1099511627776 at element 0, beyond i32's range"));
  attnc_weights_close(w);

  // A float param from an integer tensor, and a missing one.
  std::string header = R"({"layer.w": {"dtype": "I32", "shape": [4, 4], "data_offsets": [0, 64]}})";
  w = openBytes("params6.safetensors", safetensors(header, Bytes(64, '\0')));
  EXPECT_TRUE(failedWith(loadParams(m, w, nullptr, params), ATTNC_ERR_INVALID_ARGUMENT,
                         "no tensor named 'layer_b'"));
  ModelBuilder one("one");
  Expr E = one.dim("E", 4);
  one.param("layer_w", ATTNC_F32, {E, E}).output("o", ATTNC_F32, {E});
  Model justW = one.build();
  EXPECT_TRUE(failedWith(loadParams(justW, w, nullptr, params), ATTNC_ERR_DTYPE_MISMATCH,
                         "param 'layer_w' is f32, but 'layer.w' in"));
  EXPECT_TRUE(lastErrorContains("params6.safetensors is I32"));
  attnc_weights_close(w);
  EXPECT_EQ(std::vector<const void *>(params, params + 4),
            std::vector<const void *>(untouched, untouched + 4));
}

} // namespace
