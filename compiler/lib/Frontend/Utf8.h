//===- Utf8.h - Decoding one UTF-8 sequence ---------------------*- C++ -*-===//
//
// Private to the frontend: the lexer rejects non-ASCII characters by code
// point and diagnostics print source lines, both need to tell a valid UTF-8
// sequence from stray bytes.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_LIB_FRONTEND_UTF8_H
#define ATTNC_LIB_FRONTEND_UTF8_H

#include <cstddef>
#include <cstdint>

namespace attnc::utf8 {

/// Decodes the sequence starting at `p` (at most `n` bytes). Returns its length
/// (1 to 4) and sets `cp`, or 0 if the bytes are not valid UTF-8 (overlong
/// forms, surrogates and values above U+10FFFF are invalid).
inline unsigned decode(const unsigned char *p, size_t n, uint32_t &cp) {
  if (n == 0)
    return 0;
  unsigned char b = p[0];
  if (b < 0x80) {
    cp = b;
    return 1;
  }
  unsigned len;
  uint32_t min;
  if ((b & 0xE0) == 0xC0) {
    len = 2, cp = b & 0x1F, min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3, cp = b & 0x0F, min = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4, cp = b & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (unsigned i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

} // namespace attnc::utf8

#endif
