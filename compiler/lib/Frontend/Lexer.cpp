//===- Lexer.cpp - Tokens of the model language ---------------------------===//

#include "attnc/Frontend/Lexer.h"

#include "Utf8.h"

#include <charconv>
#include <cstdio>
#include <limits>

namespace attnc {

const char *tokenKindSpelling(TokenKind k) {
  switch (k) {
  case TokenKind::Eof: return "end of file";
  case TokenKind::Error: return "an invalid token";
  case TokenKind::Ident: return "a name";
  case TokenKind::Int: return "an integer";
  case TokenKind::Float: return "a number";
  case TokenKind::KwModel: return "'model'";
  case TokenKind::KwDim: return "'dim'";
  case TokenKind::KwInput: return "'input'";
  case TokenKind::KwParam: return "'param'";
  case TokenKind::KwLet: return "'let'";
  case TokenKind::KwOutput: return "'output'";
  case TokenKind::KwSchedule: return "'schedule'";
  case TokenKind::KwF32: return "'f32'";
  case TokenKind::KwF16: return "'f16'";
  case TokenKind::KwBF16: return "'bf16'";
  case TokenKind::KwI32: return "'i32'";
  case TokenKind::KwI64: return "'i64'";
  case TokenKind::LBrace: return "'{'";
  case TokenKind::RBrace: return "'}'";
  case TokenKind::LParen: return "'('";
  case TokenKind::RParen: return "')'";
  case TokenKind::LBracket: return "'['";
  case TokenKind::RBracket: return "']'";
  case TokenKind::Comma: return "','";
  case TokenKind::Colon: return "':'";
  case TokenKind::Assign: return "'='";
  case TokenKind::Dot: return "'.'";
  case TokenKind::Ellipsis: return "'...'";
  case TokenKind::String: return "a string";
  case TokenKind::Plus: return "'+'";
  case TokenKind::Minus: return "'-'";
  case TokenKind::Star: return "'*'";
  case TokenKind::Slash: return "'/'";
  case TokenKind::Percent: return "'%'";
  case TokenKind::Power: return "'**'";
  case TokenKind::At: return "'@'";
  case TokenKind::Lt: return "'<'";
  case TokenKind::Le: return "'<='";
  case TokenKind::Gt: return "'>'";
  case TokenKind::Ge: return "'>='";
  case TokenKind::EqEq: return "'=='";
  case TokenKind::NotEq: return "'!='";
  case TokenKind::AndAnd: return "'&&'";
  case TokenKind::OrOr: return "'||'";
  case TokenKind::Not: return "'!'";
  }
  return "?";
}

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }

TokenKind keywordKind(std::string_view s) {
  static const struct {
    std::string_view text;
    TokenKind kind;
  } keywords[] = {
      {"model", TokenKind::KwModel},   {"dim", TokenKind::KwDim},
      {"input", TokenKind::KwInput},   {"param", TokenKind::KwParam},
      {"let", TokenKind::KwLet},       {"output", TokenKind::KwOutput},
      {"schedule", TokenKind::KwSchedule}, {"f32", TokenKind::KwF32},
      {"f16", TokenKind::KwF16},       {"bf16", TokenKind::KwBF16},
      {"i32", TokenKind::KwI32},
      {"i64", TokenKind::KwI64},
  };
  for (const auto &k : keywords)
    if (k.text == s)
      return k.kind;
  return TokenKind::Ident;
}

std::string hexByte(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

} // namespace

Lexer::Lexer(std::string_view source, Diagnostics &diag) : src_(source), diag_(diag) {}

ast::Loc Lexer::locAt(size_t offset, size_t length) const {
  ast::Loc loc;
  loc.line = line_;
  loc.col = (unsigned)(offset - lineStart_ + 1);
  loc.length = (unsigned)(length ? length : 1);
  return loc;
}

Token Lexer::make(TokenKind kind, size_t start) {
  Token t;
  t.kind = kind;
  t.loc = locAt(start, pos_ - start);
  t.text = src_.substr(start, pos_ - start);
  return t;
}

Token Lexer::fail(size_t start, size_t length, const std::string &message) {
  diag_.error(locAt(start, length), message);
  failed_ = true;
  Token t;
  t.kind = TokenKind::Error;
  t.loc = locAt(start, length);
  return t;
}

bool Lexer::skipTrivia() {
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
    } else if (c == '\n') {
      ++pos_;
      ++line_;
      lineStart_ = pos_;
    } else if (c == '#') {
      // Comments may hold any valid UTF-8, but no stray bytes.
      while (pos_ < src_.size() && src_[pos_] != '\n') {
        const auto *p = reinterpret_cast<const unsigned char *>(src_.data()) + pos_;
        uint32_t cp;
        unsigned len = utf8::decode(p, src_.size() - pos_, cp);
        if (len == 0 || (cp < 0x20 && cp != '\t' && cp != '\r') || cp == 0x7F) {
          fail(pos_, 1, "invalid byte " + hexByte(*p));
          return false;
        }
        pos_ += len;
      }
    } else {
      return true;
    }
  }
  return true;
}

Token Lexer::next() {
  if (failed_ || !skipTrivia()) {
    Token t;
    t.kind = TokenKind::Error;
    return t;
  }
  size_t start = pos_;
  if (pos_ >= src_.size())
    return make(TokenKind::Eof, start);

  char c = src_[pos_];
  if (isIdentStart(c))
    return lexIdentifier(start);
  if (isDigit(c))
    return lexNumber(start);
  if ((unsigned char)c >= 0x80)
    return lexNonAscii(start);

  auto one = [&](TokenKind k) {
    ++pos_;
    return make(k, start);
  };
  // One of two tokens depending on the next character.
  auto two = [&](char second, TokenKind ifTwo, TokenKind ifOne) {
    if (pos_ + 1 < src_.size() && src_[pos_ + 1] == second) {
      pos_ += 2;
      return make(ifTwo, start);
    }
    return one(ifOne);
  };
  switch (c) {
  case '{': return one(TokenKind::LBrace);
  case '}': return one(TokenKind::RBrace);
  case '(': return one(TokenKind::LParen);
  case ')': return one(TokenKind::RParen);
  case '[': return one(TokenKind::LBracket);
  case ']': return one(TokenKind::RBracket);
  case ',': return one(TokenKind::Comma);
  case ':': return one(TokenKind::Colon);
  case '.':
    if (src_.compare(pos_, 3, "...") == 0) {
      pos_ += 3;
      return make(TokenKind::Ellipsis, start);
    }
    return one(TokenKind::Dot);
  case '+': return one(TokenKind::Plus);
  case '-': return one(TokenKind::Minus);
  case '/': return one(TokenKind::Slash);
  case '%': return one(TokenKind::Percent);
  case '@': return one(TokenKind::At);
  case '`': return lexQuotedName(start);
  case '"': {
    size_t end = src_.find_first_of("\"\n", pos_ + 1);
    if (end == std::string_view::npos || src_[end] != '"')
      return fail(start, 1, "unterminated string (a string ends on its line)");
    pos_ = end + 1;
    return make(TokenKind::String, start);
  }
  case '*': return two('*', TokenKind::Power, TokenKind::Star);
  case '<': return two('=', TokenKind::Le, TokenKind::Lt);
  case '>': return two('=', TokenKind::Ge, TokenKind::Gt);
  case '=': return two('=', TokenKind::EqEq, TokenKind::Assign);
  case '!': return two('=', TokenKind::NotEq, TokenKind::Not);
  default:
    break;
  }
  // `&&` and `||` exist only doubled; a single `&` or `|` is reported below.
  if ((c == '&' || c == '|') && pos_ + 1 < src_.size() && src_[pos_ + 1] == c) {
    pos_ += 2;
    return make(c == '&' ? TokenKind::AndAnd : TokenKind::OrOr, start);
  }
  if ((unsigned char)c < 0x20 || c == 0x7F)
    return fail(start, 1, "invalid byte " + hexByte((unsigned char)c));
  return fail(start, 1, std::string("unexpected character '") + c + "'");
}

Token Lexer::lexIdentifier(size_t start) {
  while (pos_ < src_.size() && isIdentChar(src_[pos_]))
    ++pos_;
  std::string_view text = src_.substr(start, pos_ - start);
  if (text == "inf") {
    Token t = make(TokenKind::Float, start);
    t.floatValue = std::numeric_limits<double>::infinity();
    return t;
  }
  return make(keywordKind(text), start);
}

/// `encoder.layer.0.weight`: a name with dots, as weights files name their
/// tensors. Always a name, even when it spells a keyword.
Token Lexer::lexQuotedName(size_t start) {
  size_t end = src_.find_first_of("`\n", start + 1);
  if (end == std::string_view::npos || src_[end] != '`')
    return fail(start, 1, "unterminated quoted name (it ends with '`' on its line)");
  std::string_view name = src_.substr(start + 1, end - start - 1);
  if (name.empty())
    return fail(start, 2, "empty quoted name");
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (isIdentChar(c) || c == '.')
      continue;
    bool printable = (unsigned char)c >= 0x20 && (unsigned char)c < 0x7F;
    return fail(start + 1 + i, 1,
                "a quoted name holds letters, digits, '_' and '.', not " +
                    (printable ? "'" + std::string(1, c) + "'"
                               : "byte " + hexByte((unsigned char)c)));
  }
  if (!isIdentStart(name[0]))
    return fail(start + 1, 1, "a quoted name starts with a letter or '_'");
  size_t emptyPart = name.find("..");
  if (emptyPart != std::string_view::npos || name.back() == '.')
    return fail(start + 1 + (emptyPart != std::string_view::npos ? emptyPart : name.size() - 1),
                1, "a quoted name has no empty part between its dots");
  pos_ = end + 1;
  Token t = make(TokenKind::Ident, start);
  t.text = name;
  return t;
}

Token Lexer::lexNumber(size_t start) {
  auto digitAt = [&](size_t i) { return i < src_.size() && isDigit(src_[i]); };
  while (digitAt(pos_))
    ++pos_;
  bool isFloat = false;
  if (pos_ < src_.size() && src_[pos_] == '.' && digitAt(pos_ + 1)) {
    isFloat = true;
    ++pos_;
    while (digitAt(pos_))
      ++pos_;
  }
  if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
    size_t q = pos_ + 1;
    if (q < src_.size() && (src_[q] == '+' || src_[q] == '-'))
      ++q;
    if (digitAt(q)) {
      isFloat = true;
      pos_ = q;
      while (digitAt(pos_))
        ++pos_;
    }
  }
  if (pos_ < src_.size() && isIdentChar(src_[pos_])) {
    // `2S` or `1e`: letters glued to a number are a typo, not two tokens.
    while (pos_ < src_.size() && isIdentChar(src_[pos_]))
      ++pos_;
    return fail(start, pos_ - start,
                "invalid number '" + std::string(src_.substr(start, pos_ - start)) + "'");
  }

  Token t = make(isFloat ? TokenKind::Float : TokenKind::Int, start);
  const char *first = t.text.data(), *last = first + t.text.size();
  if (isFloat) {
    auto res = std::from_chars(first, last, t.floatValue);
    if (res.ec != std::errc() || res.ptr != last)
      return fail(start, t.text.size(), "decimal literal is out of range");
    return t;
  }
  int64_t v = 0;
  for (const char *p = first; p != last; ++p)
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
      return fail(start, t.text.size(), "integer literal is too large");
  t.intValue = v;
  t.floatValue = (double)v;
  return t;
}

Token Lexer::lexNonAscii(size_t start) {
  const auto *p = reinterpret_cast<const unsigned char *>(src_.data()) + start;
  uint32_t cp;
  unsigned len = utf8::decode(p, src_.size() - start, cp);
  if (len == 0)
    return fail(start, 1, "invalid byte " + hexByte(*p));
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", (unsigned)cp);
  return fail(start, 1,
              "unexpected character '" + std::string(src_.substr(start, len)) + "' (" + buf + ")");
}

} // namespace attnc
