//===- Parser.cpp - Recursive-descent parser for model files --------------===//
//
// Grammar (newlines are not significant):
//
//   file       := model+
//   model      := 'model' NAME '{' item* '}'
//   item       := 'dim' dim (',' dim)*
//               | ('input' | 'param') tensor (',' tensor)*
//               | ('let' | 'output') NAME ('[' index (',' index)* ']')? '=' expr
//               | 'schedule' '{' directive* '}'
//   dim        := NAME ('=' '-'? INT)?
//   tensor     := NAME ':' TYPE ('[' expr (',' expr)* ']')?
//   index      := NAME (':' expr)?
//   directive  := NAME '(' (sarg (',' sarg)*)? ')'
//   sarg       := NAME '=' INT | NAME | INT
//
// Expressions use precedence climbing for the binary levels (|| && compare
// + - and @ * / %), then unary - !, then ** (right-associative, so that
// `-x**2` is `-(x**2)` and `2**-1` works), then postfix call, subscript, .T.
//
//===----------------------------------------------------------------------===//

#include "attnc/Frontend/Parser.h"

#include "attnc/Frontend/Lexer.h"

#include <algorithm>
#include <deque>

namespace attnc {

using namespace ast;

namespace {

const char *const kScheduleDirectives[] = {"tile",     "split",   "vectorize",  "unroll",
                                           "parallel", "threads", "gpu_blocks", "gpu_threads"};

enum Level { kOrLevel = 1, kAndLevel, kCmpLevel, kAddLevel, kMulLevel };

/// The binary operator a token stands for at the precedence-climbing levels
/// (`**` is handled separately).
bool binaryOperator(TokenKind k, BinaryOp &op, int &level) {
  switch (k) {
  case TokenKind::OrOr: op = BinaryOp::Or, level = kOrLevel; return true;
  case TokenKind::AndAnd: op = BinaryOp::And, level = kAndLevel; return true;
  case TokenKind::Lt: op = BinaryOp::Lt, level = kCmpLevel; return true;
  case TokenKind::Le: op = BinaryOp::Le, level = kCmpLevel; return true;
  case TokenKind::Gt: op = BinaryOp::Gt, level = kCmpLevel; return true;
  case TokenKind::Ge: op = BinaryOp::Ge, level = kCmpLevel; return true;
  case TokenKind::EqEq: op = BinaryOp::Eq, level = kCmpLevel; return true;
  case TokenKind::NotEq: op = BinaryOp::Ne, level = kCmpLevel; return true;
  case TokenKind::Plus: op = BinaryOp::Add, level = kAddLevel; return true;
  case TokenKind::Minus: op = BinaryOp::Sub, level = kAddLevel; return true;
  case TokenKind::Star: op = BinaryOp::Mul, level = kMulLevel; return true;
  case TokenKind::Slash: op = BinaryOp::Div, level = kMulLevel; return true;
  case TokenKind::Percent: op = BinaryOp::Mod, level = kMulLevel; return true;
  case TokenKind::At: op = BinaryOp::MatMul, level = kMulLevel; return true;
  default: return false;
  }
}

bool reductionName(std::string_view s, ReduceKind &kind) {
  if (s == "sum") kind = ReduceKind::Sum;
  else if (s == "max") kind = ReduceKind::Max;
  else if (s == "min") kind = ReduceKind::Min;
  else if (s == "mean") kind = ReduceKind::Mean;
  else return false;
  return true;
}

class Parser {
public:
  Parser(std::string_view source, Diagnostics &diag) : lex_(source, diag), diag_(diag) {}

  std::unique_ptr<Module> parseFile(const std::string &fileName);

private:
  // Tokens ------------------------------------------------------------------
  const Token &peek(size_t k = 0) {
    while (ahead_.size() <= k)
      ahead_.push_back(lex_.next());
    return ahead_[k];
  }
  Token take() {
    peek();
    Token t = ahead_.front();
    ahead_.pop_front();
    return t;
  }
  bool at(TokenKind k) { return peek().kind == k; }
  bool accept(TokenKind k) {
    if (!at(k))
      return false;
    take();
    return true;
  }
  bool fail(const Token &t, const std::string &message) {
    diag_.error(t.loc, message);
    return false;
  }
  /// Consumes a token of kind `k` or reports "expected WHAT".
  bool expect(TokenKind k, const std::string &what, Token *out = nullptr) {
    if (!at(k))
      return fail(peek(), "expected " + what);
    Token t = take();
    if (out)
      *out = t;
    return true;
  }
  /// Consumes the closing token of a bracket pair, or reports it missing
  /// with a note at the opening one.
  bool expectClosing(TokenKind k, const Token &open) {
    if (accept(k))
      return true;
    fail(peek(), std::string("expected ") + tokenKindSpelling(k));
    diag_.note(open.loc, std::string("to match this ") + tokenKindSpelling(open.kind));
    return false;
  }

  // Declarations --------------------------------------------------------------
  bool parseModel(Module &module);
  bool parseFunction(Module &module);
  /// `fn` and `return` are words only where a declaration starts, so they
  /// stay usable as names.
  bool atWord(const char *word, size_t k = 0) {
    return peek(k).kind == TokenKind::Ident && peek(k).text == word;
  }
  bool parseDims(Model &m);
  bool parseTensorDecls(Model &m);
  bool parseDefinition(Model &m);
  bool parseSchedule(Model &m);

  // Expressions ---------------------------------------------------------------
  // Each leaves the depth of the tree it returns in `depth_`.
  ExprPtr parseExpr();
  ExprPtr parseBinary(int minLevel);
  ExprPtr parseUnary();
  ExprPtr parsePower();
  ExprPtr parsePostfix();
  ExprPtr parseBrackets(ExprPtr base, const Token &open, unsigned &depth);
  ExprPtr parsePrimary();
  ExprPtr parseCall();
  ExprPtr parseReduce(const Token &name, const Token &open, ReduceKind kind);
  ExprPtr parseArgument();
  ExprPtr parseList();
  bool atReductionBinding();
  /// `NAME =` in an argument list; language keywords may name options too
  /// (`softmax(x, dim = -1)` then gets a clear "unknown keyword" error).
  bool atKeywordArgument() {
    TokenKind k = peek().kind;
    return (k == TokenKind::Ident || isKeyword(k)) && peek(1).kind == TokenKind::Assign;
  }

  ExprPtr node(ExprKind kind, const Token &at);
  /// Counts one node of the tree (an expression or an index variable)
  /// against kMaxExpressionNodes, which bounds the tree's memory.
  bool countNode(const Token &at);
  bool tooDeep(const Token &at);
  /// Reports an axis list longer than kMaxRank when `count` exceeds it.
  bool checkRank(size_t count, const Token &at) {
    return count <= kMaxRank ||
           fail(at, "too many axes (limit " + std::to_string(kMaxRank) + ")");
  }
  bool setDepth(unsigned depth, const Token &at) {
    depth_ = depth;
    return depth <= kMaxExpressionDepth || tooDeep(at);
  }

  /// Counts one level of parser recursion for the lifetime of the guard.
  struct Nesting {
    Parser &p;
    bool ok;
    Nesting(Parser &p, const Token &at) : p(p) {
      ok = ++p.nesting_ <= kMaxExpressionDepth || p.tooDeep(at);
    }
    ~Nesting() { --p.nesting_; }
  };

  Lexer lex_;
  Diagnostics &diag_;
  std::deque<Token> ahead_;
  Model *model_ = nullptr;
  size_t nodes_ = 0;
  unsigned nesting_ = 0;
  unsigned depth_ = 0;
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

std::unique_ptr<Module> Parser::parseFile(const std::string &fileName) {
  auto module = std::make_unique<Module>();
  module->fileName = fileName;
  do {
    if (atWord("fn") && peek(1).kind == TokenKind::Ident) {
      if (!parseFunction(*module))
        return nullptr;
      continue;
    }
    if (!at(TokenKind::KwModel)) {
      fail(peek(), "expected 'model' or 'fn'");
      return nullptr;
    }
    if (!parseModel(*module))
      return nullptr;
  } while (!at(TokenKind::Eof));
  if (module->models.empty()) { // only functions
    fail(peek(), "expected 'model'");
    return nullptr;
  }
  return module;
}

bool Parser::parseModel(Module &module) {
  take(); // 'model'
  Token name, open;
  if (!expect(TokenKind::Ident, "a model name", &name) ||
      !expect(TokenKind::LBrace, "'{'", &open))
    return false;
  Model m;
  m.name = std::string(name.text);
  m.loc = name.loc;
  model_ = &m;
  for (;;) {
    bool ok;
    switch (peek().kind) {
    case TokenKind::KwDim: ok = parseDims(m); break;
    case TokenKind::KwInput:
    case TokenKind::KwParam: ok = parseTensorDecls(m); break;
    case TokenKind::KwLet:
    case TokenKind::KwOutput: ok = parseDefinition(m); break;
    case TokenKind::KwSchedule: ok = parseSchedule(m); break;
    case TokenKind::RBrace:
      take();
      model_ = nullptr;
      module.models.push_back(std::move(m));
      return true;
    default:
      fail(peek(), "expected a declaration (dim, input, param, let, output or schedule) or '}'");
      if (at(TokenKind::Eof))
        diag_.note(open.loc, "to match this '{'");
      return false;
    }
    if (!ok)
      return false;
  }
}

bool Parser::parseFunction(Module &module) {
  take(); // 'fn'
  Function f;
  Token name, open;
  if (!expect(TokenKind::Ident, "a function name", &name) ||
      !expect(TokenKind::LParen, "'(' and the function's parameters", &open))
    return false;
  f.name = std::string(name.text);
  f.loc = name.loc;
  if (!at(TokenKind::RParen)) {
    do {
      Token param;
      if (!expect(TokenKind::Ident, "a parameter name", &param))
        return false;
      f.params.push_back(std::string(param.text));
      f.paramLocs.push_back(param.loc);
    } while (accept(TokenKind::Comma));
  }
  Token brace;
  if (!expectClosing(TokenKind::RParen, open) ||
      !expect(TokenKind::LBrace, "'{' to begin the body of '" + f.name + "'", &brace))
    return false;
  f.body.name = f.name;
  f.body.loc = f.loc;
  model_ = &f.body;
  for (;;) {
    if (at(TokenKind::KwLet)) {
      if (!parseDefinition(f.body))
        return false;
      continue;
    }
    if (atWord("return")) {
      take();
      if (!(f.result = parseExpr()))
        return false;
      if (!expectClosing(TokenKind::RBrace, brace))
        return false;
      break;
    }
    fail(peek(), "expected 'let' or 'return' in the body of function '" + f.name + "'");
    if (at(TokenKind::RBrace))
      diag_.note(f.loc, "a function ends with 'return EXPR'");
    return false;
  }
  model_ = nullptr;
  module.functions.push_back(std::move(f));
  return true;
}

bool Parser::parseDims(Model &m) {
  take(); // 'dim'
  do {
    Token name;
    if (!expect(TokenKind::Ident, "a dim name", &name))
      return false;
    DimDecl d;
    d.name = std::string(name.text);
    d.loc = name.loc;
    if (accept(TokenKind::Assign)) {
      Token minus;
      bool negative = at(TokenKind::Minus);
      if (negative)
        minus = take();
      Token value;
      if (!expect(TokenKind::Int, "an integer value for dim '" + d.name + "'", &value))
        return false;
      d.isFixed = true;
      d.fixedValue = negative ? -value.intValue : value.intValue;
      if (d.fixedValue < 1)
        return fail(negative ? minus : value, "dim '" + d.name + "' must be at least 1, but is " +
                                                  std::to_string(d.fixedValue));
    } else if (accept(TokenKind::Le)) {
      if (!(d.upperBound = parseExpr()))
        return false;
    }
    m.dims.push_back(std::move(d));
  } while (accept(TokenKind::Comma));
  return true;
}

bool Parser::parseTensorDecls(Model &m) {
  Token keyword = take();
  DeclKind kind = keyword.kind == TokenKind::KwInput ? DeclKind::Input : DeclKind::Param;
  do {
    Token name;
    if (!expect(TokenKind::Ident, "a name for the " + std::string(keyword.text), &name) ||
        !expect(TokenKind::Colon, "':' and a type after '" + std::string(name.text) + "'"))
      return false;
    Decl d;
    d.kind = kind;
    d.name = std::string(name.text);
    d.loc = name.loc;
    switch (peek().kind) {
    case TokenKind::KwF32: d.dtype = DType::F32; break;
    case TokenKind::KwF16: d.dtype = DType::F16; break;
    case TokenKind::KwBF16: d.dtype = DType::BF16; break;
    case TokenKind::KwI32: d.dtype = DType::I32; break;
    case TokenKind::KwI64: d.dtype = DType::I64; break;
    default: return fail(peek(), "expected a type (f32, f16, bf16 or i32)");
    }
    take();
    if (at(TokenKind::LBracket)) {
      Token open = take();
      do {
        if (!checkRank(d.shapeExprs.size() + 1, peek()))
          return false;
        ExprPtr e = parseExpr();
        if (!e)
          return false;
        d.shapeExprs.push_back(std::move(e));
      } while (accept(TokenKind::Comma));
      if (!expectClosing(TokenKind::RBracket, open))
        return false;
    }
    m.decls.push_back(std::move(d));
  } while (accept(TokenKind::Comma));
  return true;
}

bool Parser::parseDefinition(Model &m) {
  Token keyword = take();
  Token name;
  if (!expect(TokenKind::Ident, "a name for the " + std::string(keyword.text), &name))
    return false;
  Decl d;
  d.kind = keyword.kind == TokenKind::KwLet ? DeclKind::Let : DeclKind::Output;
  d.name = std::string(name.text);
  d.loc = name.loc;
  if (at(TokenKind::LBracket)) {
    Token open = take();
    do {
      Token index;
      if (!checkRank(d.indices.size() + 1, peek()) ||
          !expect(TokenKind::Ident, "an index name", &index) || !countNode(index))
        return false;
      IndexVar iv;
      iv.name = std::string(index.text);
      iv.loc = index.loc;
      if (accept(TokenKind::Colon)) {
        iv.explicitExtent = parseExpr();
        if (!iv.explicitExtent)
          return false;
        iv.hasExplicitExtent = true;
      }
      d.indices.push_back((int)m.indexVars.size());
      m.indexVars.push_back(std::move(iv));
    } while (accept(TokenKind::Comma));
    if (!expectClosing(TokenKind::RBracket, open))
      return false;
  }
  if (!expect(TokenKind::Assign, "'=' after '" + d.name + "'"))
    return false;
  d.value = parseExpr();
  if (!d.value)
    return false;
  m.decls.push_back(std::move(d));
  return true;
}

bool Parser::parseSchedule(Model &m) {
  take(); // 'schedule'
  Token open;
  if (!expect(TokenKind::LBrace, "'{' after 'schedule'", &open))
    return false;
  while (!accept(TokenKind::RBrace)) {
    Token name;
    if (!expect(TokenKind::Ident, "a schedule directive or '}'", &name))
      return false;
    auto known = std::find(std::begin(kScheduleDirectives), std::end(kScheduleDirectives),
                           name.text);
    if (known == std::end(kScheduleDirectives)) {
      std::string list;
      for (const char *d : kScheduleDirectives)
        list += (list.empty() ? "" : ", ") + std::string(d);
      return fail(name, "unknown schedule directive '" + std::string(name.text) + "' (known: " +
                            list + ")");
    }
    ScheduleDirective dir;
    dir.name = std::string(name.text);
    dir.loc = name.loc;
    Token paren;
    if (!expect(TokenKind::LParen, "'(' after '" + dir.name + "'", &paren))
      return false;
    if (!accept(TokenKind::RParen)) {
      do {
        // Bounded like the other lists, so that the duplicate-keyword test
        // below stays cheap.
        if (dir.positional.size() + dir.named.size() == kMaxRank)
          return fail(peek(), "too many arguments of '" + dir.name + "' (limit " +
                                  std::to_string(kMaxRank) + ")");
        if (at(TokenKind::Ident) && peek(1).kind == TokenKind::Assign) {
          Token key = take();
          take(); // '='
          Token value;
          if (!expect(TokenKind::Int, "an integer", &value))
            return false;
          for (const auto &[k, v] : dir.named)
            if (k == key.text)
              return fail(key, "duplicate keyword argument '" + k + "'");
          dir.named.push_back({std::string(key.text), value.intValue});
          dir.namedLocs.push_back(value.loc);
        } else if (at(TokenKind::Ident) || at(TokenKind::Int)) {
          dir.positionalLocs.push_back(peek().loc);
          dir.positional.push_back(std::string(take().text));
        } else {
          return fail(peek(), "expected a name or an integer");
        }
      } while (accept(TokenKind::Comma));
      if (!expectClosing(TokenKind::RParen, paren))
        return false;
    }
    m.schedule.push_back(std::move(dir));
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

bool Parser::tooDeep(const Token &at) {
  return fail(at, "expression is nested too deeply (limit " +
                      std::to_string(kMaxExpressionDepth) + ")");
}

bool Parser::countNode(const Token &at) {
  return ++nodes_ <= kMaxExpressionNodes ||
         fail(at, "too many expressions in one file (limit " +
                      std::to_string(kMaxExpressionNodes) + " nodes)");
}

ExprPtr Parser::node(ExprKind kind, const Token &at) {
  if (!countNode(at))
    return nullptr;
  return std::make_unique<Expr>(kind, at.loc);
}

ExprPtr Parser::parseExpr() {
  Nesting guard(*this, peek());
  if (!guard.ok)
    return nullptr;
  return parseBinary(kOrLevel);
}

ExprPtr Parser::parseBinary(int minLevel) {
  ExprPtr lhs = parseUnary();
  if (!lhs)
    return nullptr;
  unsigned lhsDepth = depth_;
  bool lhsIsComparison = false;
  for (;;) {
    BinaryOp op;
    int level;
    if (!binaryOperator(peek().kind, op, level) || level < minLevel)
      break;
    if (level == kCmpLevel && lhsIsComparison) {
      fail(peek(), "comparisons cannot be chained; combine them with '&&'");
      return nullptr;
    }
    Token opTok = take();
    ExprPtr rhs = parseBinary(level + 1);
    if (!rhs)
      return nullptr;
    ExprPtr e = node(ExprKind::Binary, opTok);
    if (!e || !setDepth(std::max(lhsDepth, depth_) + 1, opTok))
      return nullptr;
    e->binaryOp = op;
    e->operands.push_back(std::move(lhs));
    e->operands.push_back(std::move(rhs));
    lhs = std::move(e);
    lhsDepth = depth_;
    lhsIsComparison = level == kCmpLevel;
  }
  depth_ = lhsDepth;
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (!at(TokenKind::Minus) && !at(TokenKind::Not))
    return parsePower();
  Token opTok = take();
  Nesting guard(*this, opTok);
  if (!guard.ok)
    return nullptr;
  ExprPtr operand = parseUnary();
  if (!operand)
    return nullptr;
  ExprPtr e = node(ExprKind::Unary, opTok);
  if (!e || !setDepth(depth_ + 1, opTok))
    return nullptr;
  e->unaryOp = opTok.kind == TokenKind::Minus ? UnaryOp::Neg : UnaryOp::Not;
  e->operands.push_back(std::move(operand));
  return e;
}

ExprPtr Parser::parsePower() {
  ExprPtr base = parsePostfix();
  if (!base || !at(TokenKind::Power))
    return base;
  unsigned baseDepth = depth_;
  Token opTok = take();
  Nesting guard(*this, opTok);
  if (!guard.ok)
    return nullptr;
  ExprPtr exponent = parseUnary();
  if (!exponent)
    return nullptr;
  ExprPtr e = node(ExprKind::Binary, opTok);
  if (!e || !setDepth(std::max(baseDepth, depth_) + 1, opTok))
    return nullptr;
  e->binaryOp = BinaryOp::Pow;
  e->operands.push_back(std::move(base));
  e->operands.push_back(std::move(exponent));
  return e;
}

ExprPtr Parser::parsePostfix() {
  ExprPtr e = parsePrimary();
  if (!e)
    return nullptr;
  for (;;) {
    unsigned depth = depth_;
    if (at(TokenKind::LBracket)) {
      Token open = take();
      ExprPtr sub = parseBrackets(std::move(e), open, depth);
      if (!sub || !setDepth(depth + 1, open))
        return nullptr;
      e = std::move(sub);    } else if (at(TokenKind::Dot)) {
      Token dot = take();
      if (!at(TokenKind::Ident) || peek().text != "T") {
        fail(peek(), "expected 'T' after '.' (the only member is .T, the transpose)");
        return nullptr;
      }
      Token t = take();
      ExprPtr tr = node(ExprKind::Transpose, dot);
      if (!tr || !setDepth(depth + 1, dot))
        return nullptr;
      if (t.loc.line == dot.loc.line)
        tr->loc.length = t.loc.col + t.loc.length - dot.loc.col;
      tr->operands.push_back(std::move(e));
      e = std::move(tr);
    } else if (at(TokenKind::LParen)) {
      fail(peek(), "only built-in functions can be called");
      return nullptr;
    } else {
      return e;
    }
  }
}

/// `base[...]` after its '[': element subscripts `x[i, j]`, or a slice as
/// soon as one item is a range `a:b` or `...`, its other items then being
/// indices. `depth` receives the deepest item's depth.
ExprPtr Parser::parseBrackets(ExprPtr base, const Token &open, unsigned &depth) {
  std::vector<SliceItem> items;
  bool slice = false;
  do {
    SliceItem item;
    item.loc = peek().loc;
    if (at(TokenKind::Ellipsis)) {
      take();
      item.kind = SliceItem::Kind::Ellipsis;
      slice = true;
      items.push_back(std::move(item));
      continue;
    }
    auto bound = [&](ExprPtr &out) {
      if (at(TokenKind::Comma) || at(TokenKind::RBracket) || at(TokenKind::Colon))
        return true; // omitted
      out = parseExpr();
      depth = std::max(depth, depth_);
      return out != nullptr;
    };
    if (!bound(item.start))
      return nullptr;
    if (accept(TokenKind::Colon)) {
      slice = true;
      if (!bound(item.stop))
        return nullptr;
      if (at(TokenKind::Colon)) {
        fail(peek(), "slices take no step: write 'a:b', not 'a:b:c'");
        return nullptr;
      }
    } else if (!item.start) {
      fail(peek(), "expected an expression");
      return nullptr;
    } else {
      item.kind = SliceItem::Kind::Index;
    }
    items.push_back(std::move(item));
  } while (accept(TokenKind::Comma));
  if (!expectClosing(TokenKind::RBracket, open) || !checkRank(items.size(), open))
    return nullptr;
  ExprPtr e = node(slice ? ExprKind::Slice : ExprKind::Subscript, open);
  if (!e)
    return nullptr;
  e->operands.push_back(std::move(base));
  if (slice)
    e->sliceItems = std::move(items);
  else
    for (SliceItem &item : items)
      e->operands.push_back(std::move(item.start));
  return e;
}

ExprPtr Parser::parsePrimary() {
  const Token &t = peek();
  switch (t.kind) {
  case TokenKind::Int:
  case TokenKind::Float: {
    Token lit = take();
    ExprPtr e = node(ExprKind::Number, lit);
    if (!e)
      return nullptr;
    e->isInteger = lit.kind == TokenKind::Int;
    e->intValue = lit.intValue;
    e->numberValue = lit.floatValue;
    depth_ = 1;
    return e;
  }
  case TokenKind::Ident: {
    if (peek(1).kind == TokenKind::LParen)
      return parseCall();
    Token name = take();
    ExprPtr e = node(ExprKind::Name, name);
    if (!e)
      return nullptr;
    e->name = std::string(name.text);
    depth_ = 1;
    return e;
  }
  case TokenKind::LParen: {
    Token open = take();
    ExprPtr e = parseExpr();
    if (!e || !expectClosing(TokenKind::RParen, open))
      return nullptr;
    return e;
  }
  case TokenKind::LBracket:
    fail(t, "a list '[...]' is only allowed as an argument of a function");
    return nullptr;
  case TokenKind::String:
    fail(t, "a string is only allowed as the subscripts of einsum, its first argument");
    return nullptr;
  default:
    fail(t, "expected an expression");
    return nullptr;
  }
}

bool Parser::atReductionBinding() {
  // `NAME (, NAME)* :` right after the '(' of sum/max/min/mean. The lookahead
  // stops after kMaxRank + 1 names, so that the token buffer stays small
  // whatever follows: a longer list of names is taken as a binding, which
  // parseReduce rejects as too long (no call of these takes that many
  // arguments either).
  for (size_t k = 0;; k += 2) {
    if (peek(k).kind != TokenKind::Ident)
      return false;
    if (k / 2 == kMaxRank)
      return true;
    if (peek(k + 1).kind == TokenKind::Colon)
      return true;
    if (peek(k + 1).kind != TokenKind::Comma)
      return false;
  }
}

ExprPtr Parser::parseCall() {
  Token name = take();
  Token open = take(); // '('
  ReduceKind kind;
  if (reductionName(name.text, kind) && atReductionBinding())
    return parseReduce(name, open, kind);

  ExprPtr call = node(ExprKind::Call, name);
  if (!call)
    return nullptr;
  call->callee = std::string(name.text);
  unsigned depth = 0;
  if (name.text == "einsum" && at(TokenKind::String)) {
    Token spec = take();
    call->einsumText = std::string(spec.text.substr(1, spec.text.size() - 2));
    if (!at(TokenKind::RParen) && !expect(TokenKind::Comma, "',' after einsum's subscripts"))
      return nullptr;
  }
  if (!accept(TokenKind::RParen)) {
    do {
      if (atKeywordArgument()) {
        KeywordArg kw;
        Token key = take();
        take(); // '='
        kw.name = std::string(key.text);
        kw.loc = key.loc;
        kw.value = parseArgument();
        if (!kw.value)
          return nullptr;
        call->kwargs.push_back(std::move(kw));
      } else {
        if (!call->kwargs.empty()) {
          fail(peek(), "positional argument after keyword argument");
          return nullptr;
        }
        ExprPtr arg = parseArgument();
        if (!arg)
          return nullptr;
        call->operands.push_back(std::move(arg));
      }
      depth = std::max(depth, depth_);
    } while (accept(TokenKind::Comma));
    if (!expectClosing(TokenKind::RParen, open))
      return nullptr;
  }
  if (!setDepth(depth + 1, name))
    return nullptr;
  return call;
}

ExprPtr Parser::parseReduce(const Token &name, const Token &open, ReduceKind kind) {
  ExprPtr e = node(ExprKind::Reduce, name);
  if (!e)
    return nullptr;
  e->callee = std::string(name.text);
  e->reduceKind = kind;
  do {
    // Bounded like an index list: binding checks each index against the
    // ones before it.
    if (!checkRank(e->boundIndices.size() + 1, peek()) || !countNode(peek()))
      return nullptr;
    Token index = take(); // checked by atReductionBinding
    IndexVar iv;
    iv.name = std::string(index.text);
    iv.loc = index.loc;
    e->boundIndices.push_back((int)model_->indexVars.size());
    model_->indexVars.push_back(std::move(iv));
  } while (accept(TokenKind::Comma));
  take(); // ':'
  ExprPtr body = parseExpr();
  if (!body)
    return nullptr;
  if (!expectClosing(TokenKind::RParen, open) || !setDepth(depth_ + 1, name))
    return nullptr;
  e->operands.push_back(std::move(body));
  return e;
}

ExprPtr Parser::parseArgument() {
  if (at(TokenKind::LBracket))
    return parseList();
  return parseExpr();
}

ExprPtr Parser::parseList() {
  Token open = take();
  Nesting guard(*this, open);
  if (!guard.ok)
    return nullptr;
  ExprPtr list = node(ExprKind::List, open);
  if (!list)
    return nullptr;
  unsigned depth = 0;
  do {
    if (!checkRank(list->operands.size() + 1, peek()))
      return nullptr;
    ExprPtr item = parseExpr();
    if (!item)
      return nullptr;
    depth = std::max(depth, depth_);
    list->operands.push_back(std::move(item));
  } while (accept(TokenKind::Comma));
  if (!expectClosing(TokenKind::RBracket, open) || !setDepth(depth + 1, open))
    return nullptr;
  return list;
}

} // namespace

std::unique_ptr<Module> parseFile(const std::string &fileName, std::string_view source,
                                  Diagnostics &diag) {
  Parser parser(source, diag);
  auto module = parser.parseFile(fileName);
  if (diag.hadError())
    return nullptr;
  return module;
}

} // namespace attnc
