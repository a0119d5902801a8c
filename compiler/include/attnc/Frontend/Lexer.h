//===- Lexer.h - Tokens of the model language -------------------*- C++ -*-===//
//
// The lexer produces one token at a time from the source text (it never
// builds a token list, so memory stays proportional to the syntax tree).
// Newlines are not tokens: declarations start with a keyword.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_FRONTEND_LEXER_H
#define ATTNC_FRONTEND_LEXER_H

#include "attnc/Frontend/AST.h"
#include "attnc/Frontend/Diagnostics.h"

#include <cstdint>
#include <string_view>

namespace attnc {

enum class TokenKind {
  Eof,
  Error, // a lexical error, already reported
  Ident,
  Int,
  Float, // decimals and `inf`
  // keywords (contiguous, see isKeyword)
  KwModel, KwDim, KwInput, KwParam, KwLet, KwOutput, KwSchedule,
  KwF32, KwF16, KwBF16, KwI32, KwI64,
  // punctuation
  LBrace, RBrace, LParen, RParen, LBracket, RBracket,
  Comma, Colon, Assign, Dot, Ellipsis,
  String, // "..." on one line: only einsum's subscripts
  Plus, Minus, Star, Slash, Percent, Power, At,
  Lt, Le, Gt, Ge, EqEq, NotEq, AndAnd, OrOr, Not,
};

/// How a token kind is written, for messages: `'('`, `'model'`, `a name`.
const char *tokenKindSpelling(TokenKind k);

/// True for the reserved words (`model` ... `i32`).
inline bool isKeyword(TokenKind k) { return k >= TokenKind::KwModel && k <= TokenKind::KwI64; }

struct Token {
  TokenKind kind = TokenKind::Eof;
  ast::Loc loc;
  std::string_view text;
  int64_t intValue = 0;  // Int
  double floatValue = 0; // Float
};

class Lexer {
public:
  Lexer(std::string_view source, Diagnostics &diag);

  /// The next token; after an error every later call returns Error again.
  Token next();

private:
  Token make(TokenKind kind, size_t start);
  Token fail(size_t start, size_t length, const std::string &message);
  Token lexNumber(size_t start);
  Token lexIdentifier(size_t start);
  Token lexQuotedName(size_t start);
  Token lexNonAscii(size_t start);
  /// Skips spaces, line breaks and comments; false after reporting an
  /// invalid byte inside a comment.
  bool skipTrivia();
  ast::Loc locAt(size_t offset, size_t length) const;

  std::string_view src_;
  Diagnostics &diag_;
  size_t pos_ = 0;
  unsigned line_ = 1;
  size_t lineStart_ = 0;
  bool failed_ = false;
};

} // namespace attnc

#endif
