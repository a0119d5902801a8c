//===- LexerTest.cpp - Tokens and lexical errors --------------------------===//

#include "attnc/Frontend/Lexer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

using namespace attnc;

namespace {

struct Lexed {
  std::vector<Token> tokens; // up to and including Eof or Error
  std::string diagnostics;
};

Lexed lex(std::string_view src) {
  std::ostringstream out;
  Diagnostics diag("t.attn", src, out);
  Lexer lexer(src, diag);
  Lexed r;
  for (;;) {
    r.tokens.push_back(lexer.next());
    TokenKind k = r.tokens.back().kind;
    if (k == TokenKind::Eof || k == TokenKind::Error)
      break;
  }
  r.diagnostics = out.str();
  return r;
}

std::vector<TokenKind> kinds(const Lexed &l) {
  std::vector<TokenKind> v;
  for (const Token &t : l.tokens)
    v.push_back(t.kind);
  return v;
}

TEST(Lexer, KeywordsNamesAndPunctuation) {
  Lexed l = lex("model m { dim S input x: f32[S] let y = x.T }");
  using K = TokenKind;
  EXPECT_EQ(kinds(l), (std::vector<K>{K::KwModel, K::Ident, K::LBrace, K::KwDim, K::Ident,
                                      K::KwInput, K::Ident, K::Colon, K::KwF32, K::LBracket,
                                      K::Ident, K::RBracket, K::KwLet, K::Ident, K::Assign,
                                      K::Ident, K::Dot, K::Ident, K::RBrace, K::Eof}));
  EXPECT_EQ(l.tokens[1].text, "m");
  EXPECT_TRUE(l.diagnostics.empty());
}

TEST(Lexer, TypeNamesAreKeywords) {
  using K = TokenKind;
  EXPECT_EQ(kinds(lex("f32 f16 bf16 i32 i64 f64 param output schedule")),
            (std::vector<K>{K::KwF32, K::KwF16, K::KwBF16, K::KwI32, K::KwI64, K::Ident,
                            K::KwParam, K::KwOutput, K::KwSchedule, K::Eof}));
}

TEST(Lexer, StringsEndOnTheirLine) {
  using K = TokenKind;
  Lexed t = lex("einsum(\"ij, jk->ik\", a)");
  EXPECT_EQ(kinds(t), (std::vector<K>{K::Ident, K::LParen, K::String, K::Comma, K::Ident,
                                      K::RParen, K::Eof}));
  EXPECT_EQ(t.tokens[2].text, "\"ij, jk->ik\"");
  Lexed open = lex("\"ij\n\"");
  EXPECT_EQ(kinds(open).back(), K::Error);
  EXPECT_NE(open.diagnostics.find("1:1: error: unterminated string"), std::string::npos)
      << open.diagnostics;
}

TEST(Lexer, EllipsisIsOneToken) {
  using K = TokenKind;
  EXPECT_EQ(kinds(lex("x[..., 1:] .. x.T")),
            (std::vector<K>{K::Ident, K::LBracket, K::Ellipsis, K::Comma, K::Int, K::Colon,
                            K::RBracket, K::Dot, K::Dot, K::Ident, K::Dot, K::Ident, K::Eof}));
}

TEST(Lexer, Operators) {
  using K = TokenKind;
  EXPECT_EQ(kinds(lex("+ - * ** / % @ < <= > >= == != && || ! = , : ( ) [ ]")),
            (std::vector<K>{K::Plus, K::Minus, K::Star, K::Power, K::Slash, K::Percent, K::At,
                            K::Lt, K::Le, K::Gt, K::Ge, K::EqEq, K::NotEq, K::AndAnd, K::OrOr,
                            K::Not, K::Assign, K::Comma, K::Colon, K::LParen, K::RParen,
                            K::LBracket, K::RBracket, K::Eof}));
  // `***` is `**` then `*`; `x**-1` is `x ** - 1`.
  EXPECT_EQ(kinds(lex("***")), (std::vector<K>{K::Power, K::Star, K::Eof}));
  EXPECT_EQ(kinds(lex("x**-1")), (std::vector<K>{K::Ident, K::Power, K::Minus, K::Int, K::Eof}));
}

TEST(Lexer, Numbers) {
  Lexed l = lex("0 42 9223372036854775807 0.5 1e-5 2.5E+3 1e3 inf 007");
  ASSERT_TRUE(l.diagnostics.empty()) << l.diagnostics;
  EXPECT_EQ(l.tokens[0].kind, TokenKind::Int);
  EXPECT_EQ(l.tokens[1].intValue, 42);
  EXPECT_EQ(l.tokens[2].intValue, INT64_MAX);
  EXPECT_EQ(l.tokens[3].kind, TokenKind::Float);
  EXPECT_DOUBLE_EQ(l.tokens[3].floatValue, 0.5);
  EXPECT_DOUBLE_EQ(l.tokens[4].floatValue, 1e-5);
  EXPECT_DOUBLE_EQ(l.tokens[5].floatValue, 2500.0);
  EXPECT_EQ(l.tokens[6].kind, TokenKind::Float); // an exponent makes a decimal
  EXPECT_EQ(l.tokens[7].kind, TokenKind::Float);
  EXPECT_TRUE(std::isinf(l.tokens[7].floatValue));
  EXPECT_EQ(l.tokens[8].intValue, 7);
}

TEST(Lexer, PointNeedsDigitsOnBothSides) {
  using K = TokenKind;
  // `1.T` is the integer 1 then `.T`, not a malformed decimal.
  EXPECT_EQ(kinds(lex("1.T")), (std::vector<K>{K::Int, K::Dot, K::Ident, K::Eof}));
  EXPECT_EQ(kinds(lex(".5")), (std::vector<K>{K::Dot, K::Int, K::Eof}));
}

TEST(Lexer, CommentsAndLocations) {
  Lexed l = lex("# comment with UTF-8: é → ∑\n  x # trailing\n\ty");
  ASSERT_TRUE(l.diagnostics.empty()) << l.diagnostics;
  ASSERT_EQ(l.tokens.size(), 3u);
  EXPECT_EQ(l.tokens[0].loc.line, 2u);
  EXPECT_EQ(l.tokens[0].loc.col, 3u);
  EXPECT_EQ(l.tokens[1].loc.line, 3u);
  EXPECT_EQ(l.tokens[1].loc.col, 2u); // a tab is one column
  EXPECT_EQ(l.tokens[2].kind, TokenKind::Eof);
}

TEST(Lexer, CarriageReturnsAreSpace) {
  Lexed l = lex("x\r\ny\r\n");
  ASSERT_TRUE(l.diagnostics.empty());
  EXPECT_EQ(l.tokens[1].loc.line, 2u);
  EXPECT_EQ(l.tokens[1].loc.col, 1u);
}

TEST(Lexer, TokenLengths) {
  Lexed l = lex("softmax ** 1e-5");
  EXPECT_EQ(l.tokens[0].loc.length, 7u);
  EXPECT_EQ(l.tokens[1].loc.length, 2u);
  EXPECT_EQ(l.tokens[2].loc.length, 4u);
}

struct LexError {
  std::string source;
  std::string message; // the first line of the diagnostics
};

class LexerErrors : public ::testing::TestWithParam<LexError> {};

TEST_P(LexerErrors, Reports) {
  Lexed l = lex(GetParam().source);
  EXPECT_EQ(l.tokens.back().kind, TokenKind::Error);
  EXPECT_EQ(l.diagnostics.substr(0, l.diagnostics.find('\n')), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, LexerErrors,
    ::testing::Values(
        LexError{"x $", "t.attn:1:3: error: unexpected character '$'"},
        LexError{"x & y", "t.attn:1:3: error: unexpected character '&'"},
        LexError{"x ; y", "t.attn:1:3: error: unexpected character ';'"},
        LexError{std::string("x \xff"), "t.attn:1:3: error: invalid byte 0xff"},
        LexError{std::string("x \xc3"), "t.attn:1:3: error: invalid byte 0xc3"},
        LexError{std::string("x \xed\xa0\x80"), "t.attn:1:3: error: invalid byte 0xed"},
        LexError{std::string("x \x01"), "t.attn:1:3: error: invalid byte 0x01"},
        LexError{std::string("x \0 y", 5), "t.attn:1:3: error: invalid byte 0x00"},
        LexError{std::string("# ok \xe2\x86\x92 then \xff\n"), "t.attn:1:15: error: invalid byte 0xff"},
        LexError{"x \xc3\xa9", "t.attn:1:3: error: unexpected character '\xc3\xa9' (U+00E9)"},
        LexError{"\xf0\x9f\x98\x80", "t.attn:1:1: error: unexpected character '\xf0\x9f\x98\x80' (U+1F600)"},
        LexError{"9223372036854775808", "t.attn:1:1: error: integer literal is too large"},
        LexError{"1e999", "t.attn:1:1: error: decimal literal is out of range"},
        LexError{"  2S", "t.attn:1:3: error: invalid number '2S'"},
        LexError{"1e", "t.attn:1:1: error: invalid number '1e'"},
        LexError{"1.5e+", "t.attn:1:1: error: invalid number '1.5e'"}));

TEST(Lexer, ErrorIsSticky) {
  std::ostringstream out;
  std::string src = "$ x";
  Diagnostics diag("t.attn", src, out);
  Lexer lexer(src, diag);
  EXPECT_EQ(lexer.next().kind, TokenKind::Error);
  EXPECT_EQ(lexer.next().kind, TokenKind::Error);
  EXPECT_EQ(diag.errorCount(), 1u);
}

TEST(Lexer, CaretUnderlinesTheToken) {
  Lexed l = lex("  x 99999999999999999999");
  EXPECT_EQ(l.diagnostics, "t.attn:1:5: error: integer literal is too large\n"
                           "  x 99999999999999999999\n"
                           "    ^~~~~~~~~~~~~~~~~~~~\n");
}

TEST(Lexer, CaretKeepsTabs) {
  Lexed l = lex("\tx\t$");
  EXPECT_EQ(l.diagnostics, "t.attn:1:4: error: unexpected character '$'\n"
                           "\tx\t$\n"
                           "\t \t^\n");
}

TEST(Lexer, InvalidBytesAreNotEchoed) {
  Lexed l = lex(std::string("ab \xff cd"));
  EXPECT_EQ(l.diagnostics, "t.attn:1:4: error: invalid byte 0xff\n"
                           "ab ? cd\n"
                           "   ^\n");
}

} // namespace
