//===- Npy.cpp - Reading and writing NumPy .npy files -----------*- C++ -*-===//
//
// A .npy file is: the magic "\x93NUMPY", a version (major, minor), the header
// length (2 bytes little-endian in version 1, 4 bytes in versions 2 and 3),
// a header that is a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline, then the raw elements.
//
//===----------------------------------------------------------------------===//

#include "attnc/Reference/Npy.h"
#include "attnc/Reference/Storage.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <limits>

namespace attnc::ref {

namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

size_t itemSize(NpyType t) {
  switch (t) {
  case NpyType::F32: case NpyType::I32: return 4;
  case NpyType::F64: case NpyType::I64: return 8;
  case NpyType::F16: return 2;
  }
  return 0;
}

uint64_t readLE(const unsigned char *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;)
    v = v << 8 | p[i];
  return v;
}

void appendLE(std::string &out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i, v >>= 8)
    out.push_back(static_cast<char>(v & 0xff));
}

/// `s` for a message: bytes that are not printable ASCII as \xNN.
std::string printable(const std::string &s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      continue;
    }
    const char hex[] = "0123456789abcdef";
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// A parser for the small subset of Python literals that .npy headers use.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : s_(text) {}

  bool parse(std::string &descr, bool &fortran, std::vector<int64_t> &shape, std::string &error) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    if (!expect('{'))
      return fail("header is not a dict", error);
    while (true) {
      skipSpace();
      if (peek() == '}')
        break;
      std::string key;
      if (!parseString(key))
        return fail("expected a quoted key in the header", error);
      if (!expect(':'))
        return fail("expected ':' after '" + printable(key) + "'", error);
      // As Python's dict literals (NumPy reads the header with
      // ast.literal_eval), a repeated key keeps its last value.
      if (key == "descr") {
        if (!parseString(descr))
          return fail("'descr' is not a string", error);
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (!parseBool(fortran))
          return fail("'fortran_order' is not True or False", error);
        haveFortran = true;
      } else if (key == "shape") {
        shape.clear();
        if (!parseShape(shape, error))
          return false;
        haveShape = true;
      } else {
        return fail("unexpected key '" + printable(key) + "' in the header", error);
      }
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}')
        return fail("expected ',' or '}' in the header", error);
    }
    ++pos_;  // '}'
    skipSpace();
    if (pos_ != s_.size())
      return fail("unexpected text after the header's dict", error);
    if (!haveDescr || !haveFortran || !haveShape)
      return fail("header lacks 'descr', 'fortran_order' or 'shape'", error);
    return true;
  }

private:
  static bool fail(const std::string &message, std::string &error) {
    error = message;
    return false;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_])))
      ++pos_;
  }
  bool expect(char c) {
    skipSpace();
    if (peek() != c)
      return false;
    ++pos_;
    return true;
  }
  /// A Python string literal: quotes, and the escapes \\ \' \" \xNN.
  bool parseString(std::string &out) {
    skipSpace();
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return false;
    out.clear();
    for (size_t i = pos_ + 1; i < s_.size(); ++i) {
      char c = s_[i];
      if (c == quote) {
        pos_ = i + 1;
        return true;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (++i == s_.size())
        return false;
      if (s_[i] == 'x' && i + 2 < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(s_[i + 2]))) {
        out += static_cast<char>(std::stoi(s_.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else if (s_[i] == '\\' || s_[i] == '\'' || s_[i] == '"') {
        out += s_[i];
      } else {
        return false;
      }
    }
    return false;
  }
  bool parseBool(bool &out) {
    skipSpace();
    for (const char *word : {"True", "False"}) {
      size_t n = std::strlen(word);
      if (s_.compare(pos_, n, word) == 0) {
        out = word[0] == 'T';
        pos_ += n;
        return true;
      }
    }
    return false;
  }
  bool parseShape(std::vector<int64_t> &shape, std::string &error) {
    if (!expect('('))
      return fail("'shape' is not a tuple", error);
    while (true) {
      skipSpace();
      if (peek() == ')') {
        ++pos_;
        return true;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek())))
        return fail("'shape' holds something other than non-negative integers", error);
      int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        int digit = s_[pos_++] - '0';
        if (v > (std::numeric_limits<int64_t>::max() - digit) / 10)
          return fail("an extent in 'shape' overflows 64 bits", error);
        v = v * 10 + digit;
      }
      if (peek() == 'L')  // written by Python 2
        ++pos_;
      shape.push_back(v);
      skipSpace();
      if (peek() == ',')
        ++pos_;
      else if (peek() != ')')
        return fail("expected ',' or ')' in 'shape'", error);
    }
  }

  const std::string &s_;
  size_t pos_ = 0;
};

bool descrType(const std::string &descr, NpyType &type, std::string &error) {
  for (NpyType t : {NpyType::F32, NpyType::F64, NpyType::F16, NpyType::I32, NpyType::I64})
    if (descr == npyDescr(t)) {
      type = t;
      return true;
    }
  for (NpyType t : {NpyType::F32, NpyType::F64, NpyType::F16, NpyType::I32, NpyType::I64})
    if (descr.size() > 3 && descr.compare(0, 3, npyDescr(t)) == 0) {
      error = "the element type '" + printable(descr) + "' has trailing characters after '" +
              npyDescr(t) + "'";
      return false;
    }
  if (!descr.empty() && descr[0] == '>')
    error = "big-endian data ('" + printable(descr) + "') is not supported";
  else
    error = "unsupported element type '" + printable(descr) + "' (expected <f4, <f8, <f2, <i4 or <i8)";
  return false;
}

double decodeElement(const unsigned char *p, NpyType type) {
  switch (type) {
  case NpyType::F32: {
    uint32_t bits = static_cast<uint32_t>(readLE(p, 4));
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case NpyType::F64: {
    uint64_t bits = readLE(p, 8);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  case NpyType::F16:
    return f16BitsToDouble(static_cast<uint16_t>(readLE(p, 2)));
  case NpyType::I32:
    return static_cast<int32_t>(static_cast<uint32_t>(readLE(p, 4)));
  case NpyType::I64:
    return static_cast<double>(static_cast<int64_t>(readLE(p, 8)));
  }
  return 0;
}

void encodeElement(std::string &out, double v, NpyType type) {
  switch (type) {
  case NpyType::F32: {
    float f = doubleToF32(v);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    appendLE(out, bits, 4);
    break;
  }
  case NpyType::F64: {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    appendLE(out, bits, 8);
    break;
  }
  case NpyType::F16:
    appendLE(out, doubleToF16Bits(v), 2);
    break;
  case NpyType::I32:
    appendLE(out, static_cast<uint32_t>(doubleToI32(v)), 4);
    break;
  case NpyType::I64:
    appendLE(out, static_cast<uint64_t>(static_cast<int64_t>(v)), 8);
    break;
  }
}

} // namespace

const char *npyDescr(NpyType type) {
  switch (type) {
  case NpyType::F32: return "<f4";
  case NpyType::F64: return "<f8";
  case NpyType::F16: return "<f2";
  case NpyType::I32: return "<i4";
  case NpyType::I64: return "<i8";
  }
  return "?";
}

namespace {

/// NumPy refuses headers above 10 000 bytes unless told otherwise; this
/// reader allows far more, but not so much that a corrupt length costs
/// memory.
constexpr uint64_t kMaxHeaderBytes = uint64_t(1) << 20;
/// The magic, the version and a header length of up to 4 bytes.
constexpr size_t kPreludeBytes = kMagicSize + 2 + 4;

/// What the fixed start and the header of a file say about it.
struct Layout {
  uint64_t headerStart = 0, headerLength = 0;
  NpyType type = NpyType::F32;
  std::vector<int64_t> shape;
  int64_t count = 0;
  std::string descr;
  uint64_t dataStart() const { return headerStart + headerLength; }
  uint64_t dataBytes() const { return static_cast<uint64_t>(count) * itemSize(type); }
};

/// The magic, the version and the header's length, from the file's first
/// bytes (`prelude`, fewer than kPreludeBytes when the file is shorter).
bool parsePrelude(const std::string &prelude, uint64_t fileSize, Layout &layout,
                  std::string &error) {
  const auto *p = reinterpret_cast<const unsigned char *>(prelude.data());
  if (prelude.size() < kMagicSize + 2 || prelude.compare(0, kMagicSize, kMagic) != 0) {
    error = "not a .npy file (bad magic string)";
    return false;
  }
  unsigned major = p[kMagicSize];
  if (major < 1 || major > 3) {
    error = "unsupported .npy format version " + std::to_string(major) + "." +
            std::to_string(p[kMagicSize + 1]);
    return false;
  }
  size_t lengthBytes = major == 1 ? 2 : 4;
  layout.headerStart = kMagicSize + 2 + lengthBytes;
  if (prelude.size() < layout.headerStart) {
    error = "truncated .npy header";
    return false;
  }
  layout.headerLength = readLE(p + kMagicSize + 2, lengthBytes);
  if (layout.headerLength > fileSize - layout.headerStart) {
    error = "truncated .npy header (it claims " + std::to_string(layout.headerLength) + " bytes)";
    return false;
  }
  if (layout.headerLength > kMaxHeaderBytes) {
    error = ".npy header of " + std::to_string(layout.headerLength) + " bytes (the limit is " +
            std::to_string(kMaxHeaderBytes) + ")";
    return false;
  }
  return true;
}

/// The header's dict, checked against the size of the file: everything is
/// known to be right before a byte of data is read.
bool parseHeader(const std::string &header, uint64_t fileSize, Layout &layout,
                 std::string &error) {
  bool fortran = false;
  if (!HeaderParser(header).parse(layout.descr, fortran, layout.shape, error)) {
    error = "malformed .npy header: " + error;
    return false;
  }
  if (!descrType(layout.descr, layout.type, error))
    return false;
  if (fortran) {
    error = "Fortran-order arrays are not supported (save with C order)";
    return false;
  }
  if (!elementCount(layout.shape, layout.count, error))
    return false;
  uint64_t expected = layout.dataBytes(); // < 2^35
  uint64_t present = fileSize - layout.dataStart();
  if (present != expected) {
    error = "shape " + shapeString(layout.shape) + " of " + printable(layout.descr) + " needs " +
            std::to_string(expected) + " bytes of data but the file has " +
            std::to_string(present) + (present < expected ? " (truncated)" : "");
    return false;
  }
  return true;
}

void decodeData(const unsigned char *data, const Layout &layout, Tensor &out) {
  out.shape = layout.shape;
  out.data.resize(static_cast<size_t>(layout.count));
  size_t item = itemSize(layout.type);
  for (size_t i = 0; i < out.data.size(); ++i)
    out.data[i] = decodeElement(data + i * item, layout.type);
}

} // namespace

bool parseNpy(const std::string &bytes, Tensor &out, std::string &error, NpyType *typeOut) {
  Layout layout;
  if (!parsePrelude(bytes.substr(0, kPreludeBytes), bytes.size(), layout, error) ||
      !parseHeader(bytes.substr(layout.headerStart, layout.headerLength), bytes.size(), layout,
                   error))
    return false;
  decodeData(reinterpret_cast<const unsigned char *>(bytes.data()) + layout.dataStart(), layout,
             out);
  if (typeOut)
    *typeOut = layout.type;
  return true;
}

bool readNpy(const std::string &path, Tensor &out, std::string &error, NpyType *type) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = path + ": cannot open file";
    return false;
  }
  std::streamoff size = in.tellg();
  if (size < 0) {
    error = path + ": cannot read file";
    return false;
  }
  uint64_t fileSize = static_cast<uint64_t>(size);
  // The header first, then the data it announces, once it is known to fit.
  auto readAt = [&](uint64_t offset, uint64_t n, std::string &bytes) {
    bytes.assign(static_cast<size_t>(n), '\0');
    in.seekg(static_cast<std::streamoff>(offset));
    return static_cast<bool>(in.read(bytes.data(), static_cast<std::streamsize>(n)));
  };
  Layout layout;
  std::string prelude, header, data;
  bool ok = readAt(0, std::min<uint64_t>(kPreludeBytes, fileSize), prelude) &&
            parsePrelude(prelude, fileSize, layout, error) &&
            readAt(layout.headerStart, layout.headerLength, header) &&
            parseHeader(header, fileSize, layout, error);
  if (ok && !readAt(layout.dataStart(), layout.dataBytes(), data)) {
    error = "read error";
    ok = false;
  }
  if (!ok) {
    error = path + ": " + (error.empty() ? "read error" : error);
    return false;
  }
  decodeData(reinterpret_cast<const unsigned char *>(data.data()), layout, out);
  if (type)
    *type = layout.type;
  return true;
}

bool encodeNpy(const Tensor &t, NpyType type, std::string &bytes, std::string &error) {
  int64_t count = 0;
  if (!elementCount(t.shape, count, error))
    return false;
  if (static_cast<int64_t>(t.data.size()) != count) {
    error = "tensor of shape " + shapeString(t.shape) + " holds " +
            std::to_string(t.data.size()) + " values";
    return false;
  }
  std::string dict = std::string("{'descr': '") + npyDescr(type) +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape.size(); ++i)
    dict += std::to_string(t.shape[i]) + (t.shape.size() == 1 ? "," : i + 1 < t.shape.size() ? ", " : "");
  dict += "), }";
  // Pad with spaces so that the data starts on a 64-byte boundary, and end
  // the header with a newline, as NumPy does.
  auto paddedEnd = [&](size_t prefix) { return (prefix + dict.size() + 1 + 63) / 64 * 64; };
  unsigned major = paddedEnd(kMagicSize + 4) - (kMagicSize + 4) > 65535 ? 2 : 1;
  size_t prefix = kMagicSize + 2 + (major == 1 ? 2 : 4);
  size_t total = paddedEnd(prefix);
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict.push_back('\n');

  bytes.assign(kMagic, kMagicSize);
  bytes.push_back(static_cast<char>(major));
  bytes.push_back('\0');
  appendLE(bytes, dict.size(), major == 1 ? 2 : 4);
  bytes += dict;
  bytes.reserve(bytes.size() + t.data.size() * itemSize(type));
  for (double v : t.data)
    encodeElement(bytes, v, type);
  return true;
}

bool writeNpy(const std::string &path, const Tensor &t, NpyType type, std::string &error) {
  std::string bytes;
  if (!encodeNpy(t, type, bytes, error)) {
    error = path + ": " + error;
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    error = path + ": cannot write file";
    return false;
  }
  return true;
}

} // namespace attnc::ref
