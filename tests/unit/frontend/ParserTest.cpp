//===- ParserTest.cpp - Syntax trees, precedence and limits ---------------===//

#include "attnc/Frontend/Parser.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace attnc;
using namespace attnc::ast;

namespace {

struct Parsed {
  std::unique_ptr<Module> module;
  std::string diagnostics;
};

Parsed parse(const std::string &src) {
  std::ostringstream out;
  Diagnostics diag("t.attn", src, out);
  Parsed p;
  p.module = parseFile("t.attn", src, diag);
  p.diagnostics = out.str();
  return p;
}

/// The tree of `expr` parsed as the value of an output.
std::string tree(const std::string &expr) {
  Parsed p = parse("model m { output y = " + expr + " }");
  if (!p.module)
    return "error: " + p.diagnostics;
  const Model &m = p.module->models[0];
  return dumpExpr(*m.decls[0].value, &m);
}

std::string firstLine(const std::string &s) { return s.substr(0, s.find('\n')); }

TEST(Parser, Precedence) {
  EXPECT_EQ(tree("a + b * c"), "(+ a (* b c))");
  EXPECT_EQ(tree("a - b - c"), "(- (- a b) c)");
  EXPECT_EQ(tree("a @ b * c / d % e"), "(% (/ (* (@ a b) c) d) e)");
  EXPECT_EQ(tree("a * b @ c"), "(@ (* a b) c)");
  EXPECT_EQ(tree("-x ** 2"), "(- (** x 2))");
  EXPECT_EQ(tree("2 ** -1"), "(** 2 (- 1))");
  EXPECT_EQ(tree("a ** b ** c"), "(** a (** b c))");
  EXPECT_EQ(tree("-a * b"), "(* (- a) b)");
  EXPECT_EQ(tree("- -a"), "(- (- a))");
  EXPECT_EQ(tree("a + b < c * d"), "(< (+ a b) (* c d))");
  EXPECT_EQ(tree("!a && b || c && d"), "(|| (&& (! a) b) (&& c d))");
  EXPECT_EQ(tree("a <= b && b != c || a == c"), "(|| (&& (<= a b) (!= b c)) (== a c))");
  EXPECT_EQ(tree("(a + b) * c"), "(* (+ a b) c)");
  EXPECT_EQ(tree("x.T ** 2"), "(** (.T x) 2)");
  EXPECT_EQ(tree("-x.T"), "(- (.T x))");
}

TEST(Parser, Postfix) {
  EXPECT_EQ(tree("(q @ k.T)[b, h, i, j]"), "([] (@ q (.T k)) b h i j)");
  EXPECT_EQ(tree("x[i][j]"), "([] ([] x i) j)");
  EXPECT_EQ(tree("softmax(s)[i, j]"), "([] (softmax s) i j)");
  EXPECT_EQ(tree("x.T.T"), "(.T (.T x))");
  EXPECT_EQ(tree("x[y + dy - 3, h / G]"), "([] x (- (+ y dy) 3) (/ h G))");
}

TEST(Parser, Calls) {
  EXPECT_EQ(tree("softmax(x, axis = -1)"), "(softmax x axis=(- 1))");
  EXPECT_EQ(tree("max(a, b)"), "(max a b)");
  EXPECT_EQ(tree("max(x, axis = 1)"), "(max x axis=1)");
  EXPECT_EQ(tree("transpose(x, [0, 2, 1])"), "(transpose x [0 2 1])");
  EXPECT_EQ(tree("layernorm(x, g, b, eps = 1e-5)"), "(layernorm x g b eps=1e-05)");
  EXPECT_EQ(tree("f()"), "(f)");
  EXPECT_EQ(tree("where(a == b, x, y)"), "(where (== a b) x y)");
}

TEST(Parser, Reductions) {
  EXPECT_EQ(tree("sum(h: w[h])"), "(sum [h] ([] w h))");
  EXPECT_EQ(tree("mean(h, w: x[n, c, h, w])"), "(mean [h w] ([] x n c h w))");
  EXPECT_EQ(tree("max(j: s[i, j]) + min(j: s[i, j])"), "(+ (max [j] ([] s i j)) (min [j] ([] s i j)))");
  // Only sum/max/min/mean bind indices.
  EXPECT_EQ(firstLine(tree("exp(h: x)")), "error: t.attn:1:27: error: expected ')'");

  Parsed p = parse("model m { output y = sum(a, b: x) + sum(c: y) }");
  ASSERT_TRUE(p.module);
  const Model &m = p.module->models[0];
  ASSERT_EQ(m.indexVars.size(), 3u);
  EXPECT_EQ(m.indexVars[0].name, "a");
  EXPECT_EQ(m.indexVars[2].name, "c");
  const Expr &lhs = *m.decls[0].value->operands[0];
  EXPECT_EQ(lhs.kind, ExprKind::Reduce);
  EXPECT_EQ(lhs.reduceKind, ReduceKind::Sum);
  EXPECT_EQ(lhs.boundIndices, (std::vector<int>{0, 1}));
}

TEST(Parser, Literals) {
  Parsed p = parse("model m { output y = 3 + 0.25 * -inf }");
  ASSERT_TRUE(p.module);
  const Expr &add = *p.module->models[0].decls[0].value;
  EXPECT_TRUE(add.operands[0]->isInteger);
  EXPECT_EQ(add.operands[0]->intValue, 3);
  const Expr &mul = *add.operands[1];
  EXPECT_FALSE(mul.operands[0]->isInteger);
  EXPECT_DOUBLE_EQ(mul.operands[0]->numberValue, 0.25);
  EXPECT_EQ(mul.operands[1]->kind, ExprKind::Unary);
}

TEST(Parser, Locations) {
  Parsed p = parse("model m {\n  output y = a +\n     b.T\n}");
  ASSERT_TRUE(p.module);
  const Decl &d = p.module->models[0].decls[0];
  EXPECT_EQ(d.loc.line, 2u);
  EXPECT_EQ(d.loc.col, 10u);
  const Expr &add = *d.value;
  EXPECT_EQ(add.loc.line, 2u); // a binary expression is located at its operator
  EXPECT_EQ(add.loc.col, 16u);
  const Expr &tr = *add.operands[1];
  EXPECT_EQ(tr.loc.line, 3u);
  EXPECT_EQ(tr.loc.col, 7u);
  EXPECT_EQ(tr.loc.length, 2u); // `.T`
}

TEST(Parser, PrintExprRoundTrips) {
  for (const char *src :
       {"softmax(q @ k.T / sqrt(D)) @ v", "-(x[i] - y[j]) ** 2 * c", "(-x) ** 2",
        "a - (b - c)", "(a + b) * (c - d)", "where(j <= i && !(i == 0), s, -inf)",
        "x[(i + 1) * 2, h / G]", "mean(h, w: x[n, c, h, w])", "2 ** -1 ** 2",
        "transpose(x, [1, 0]) + reshape(y, [B, -1])", "0.5 * 1e-05 + inf"}) {
    Parsed a = parse(std::string("model m { output y = ") + src + " }");
    ASSERT_TRUE(a.module) << a.diagnostics;
    const Model &ma = a.module->models[0];
    std::string printed = printExpr(*ma.decls[0].value, &ma);
    Parsed b = parse("model m { output y = " + printed + " }");
    ASSERT_TRUE(b.module) << printed;
    const Model &mb = b.module->models[0];
    EXPECT_EQ(dumpExpr(*ma.decls[0].value, &ma), dumpExpr(*mb.decls[0].value, &mb)) << printed;
  }
  Parsed p = parse("model m { output y = softmax(q @ k.T / sqrt(D)) @ v }");
  EXPECT_EQ(printExpr(*p.module->models[0].decls[0].value), "softmax(q @ k.T / sqrt(D)) @ v");
}

TEST(Parser, Declarations) {
  Parsed p = parse(R"(
    model a {
      dim B, S, E = 512, H = 8
      input x: f32[B, S, E], t: i32
      param w: bf16[E, E / H]
      let e[b, i: S, j] = x[b, i, j]
      output y = e
      schedule { tile(i = 64, j = 128) vectorize(j, 16) threads(4) }
    }
    model b { dim N output z = N })");
  ASSERT_TRUE(p.module) << p.diagnostics;
  ASSERT_EQ(p.module->models.size(), 2u);
  const Model &m = p.module->models[0];
  EXPECT_EQ(m.name, "a");
  ASSERT_EQ(m.dims.size(), 4u);
  EXPECT_FALSE(m.dims[0].isFixed);
  EXPECT_TRUE(m.dims[2].isFixed);
  EXPECT_EQ(m.dims[2].fixedValue, 512);
  ASSERT_EQ(m.decls.size(), 5u);
  EXPECT_EQ(m.decls[0].kind, DeclKind::Input);
  EXPECT_EQ(m.decls[0].shapeExprs.size(), 3u);
  EXPECT_EQ(m.decls[1].name, "t");
  EXPECT_EQ(m.decls[1].dtype, DType::I32);
  EXPECT_TRUE(m.decls[1].shapeExprs.empty());
  EXPECT_EQ(m.decls[2].kind, DeclKind::Param);
  EXPECT_EQ(m.decls[2].dtype, DType::BF16);
  const Decl &e = m.decls[3];
  EXPECT_EQ(e.kind, DeclKind::Let);
  ASSERT_EQ(e.indices.size(), 3u);
  EXPECT_FALSE(m.indexVars[e.indices[0]].hasExplicitExtent);
  EXPECT_TRUE(m.indexVars[e.indices[1]].hasExplicitExtent);
  EXPECT_EQ(m.decls[4].kind, DeclKind::Output);
  ASSERT_EQ(m.schedule.size(), 3u);
  EXPECT_EQ(m.schedule[0].name, "tile");
  EXPECT_EQ(m.schedule[0].named,
            (std::vector<std::pair<std::string, int64_t>>{{"i", 64}, {"j", 128}}));
  EXPECT_EQ(m.schedule[1].positional, (std::vector<std::string>{"j", "16"}));
  EXPECT_EQ(m.schedule[2].positional, (std::vector<std::string>{"4"}));
}

TEST(Parser, NewlinesAreNotSignificant) {
  Parsed one = parse("model m { dim S input x: f32[S] let y = x + 1 output z = y * 2 }");
  Parsed many = parse("model\nm\n{\ndim\nS\ninput\nx\n:\nf32\n[\nS\n]\nlet y =\nx\n+\n1 "
                      "output z = y\n*\n2\n}\n");
  ASSERT_TRUE(one.module && many.module);
  EXPECT_EQ(dumpExpr(*one.module->models[0].decls[2].value),
            dumpExpr(*many.module->models[0].decls[2].value));
}

struct ParseError {
  std::string source;
  std::string message;
};

class ParserErrors : public ::testing::TestWithParam<ParseError> {};

TEST_P(ParserErrors, Reports) {
  Parsed p = parse(GetParam().source);
  EXPECT_FALSE(p.module);
  EXPECT_EQ(firstLine(p.diagnostics), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, ParserErrors,
    ::testing::Values(
        ParseError{"", "t.attn:1:1: error: expected 'model' or 'fn'"},
        ParseError{"dim S", "t.attn:1:1: error: expected 'model' or 'fn'"},
        ParseError{"fn f(a) { return a }", "t.attn:1:21: error: expected 'model'"},
        ParseError{"fn f(a) { }",
                   "t.attn:1:11: error: expected 'let' or 'return' in the body of function 'f'"},
        ParseError{"fn f(a { return a }", "t.attn:1:8: error: expected ')'"},
        ParseError{"fn f(a) return a", "t.attn:1:9: error: expected '{' to begin the body of 'f'"},
        ParseError{"fn f(3) { return 3 }", "t.attn:1:6: error: expected a parameter name"},
        ParseError{"model { }", "t.attn:1:7: error: expected a model name"},
        ParseError{"model m output", "t.attn:1:9: error: expected '{'"},
        ParseError{"model m { y = 1 }", "t.attn:1:11: error: expected a declaration (dim, "
                                        "input, param, let, output or schedule) or '}'"},
        ParseError{"model m { dim 3 }", "t.attn:1:15: error: expected a dim name"},
        ParseError{"model m { dim S = x }",
                   "t.attn:1:19: error: expected an integer value for dim 'S'"},
        ParseError{"model m { dim S = 0 }", "t.attn:1:19: error: dim 'S' must be at least 1, but is 0"},
        ParseError{"model m { dim S = -4 }", "t.attn:1:19: error: dim 'S' must be at least 1, but is -4"},
        ParseError{"model m { input : f32 }", "t.attn:1:17: error: expected a name for the input"},
        ParseError{"model m { input x f32 }",
                   "t.attn:1:19: error: expected ':' and a type after 'x'"},
        ParseError{"model m { param w: f64 }",
                   "t.attn:1:20: error: expected a type (f32, f16, bf16 or i32)"},
        ParseError{"model m { input x: f32[S }", "t.attn:1:26: error: expected ']'"},
        ParseError{"model m { let = 1 }", "t.attn:1:15: error: expected a name for the let"},
        ParseError{"model m { let y[1] = 1 }", "t.attn:1:17: error: expected an index name"},
        ParseError{"model m { let y 1 }", "t.attn:1:17: error: expected '=' after 'y'"},
        ParseError{"model m { output y = }", "t.attn:1:22: error: expected an expression"},
        ParseError{"model m { output y = (a + b }", "t.attn:1:29: error: expected ')'"},
        ParseError{"model m { output y = a < b < c }",
                   "t.attn:1:28: error: comparisons cannot be chained; combine them with '&&'"},
        ParseError{"model m { output y = x.U }",
                   "t.attn:1:24: error: expected 'T' after '.' (the only member is .T, the "
                   "transpose)"},
        ParseError{"model m { output y = (x)(1) }",
                   "t.attn:1:25: error: only built-in functions can be called"},
        ParseError{"model m { output y = [1, 2] }",
                   "t.attn:1:22: error: a list '[...]' is only allowed as an argument of a "
                   "function"},
        ParseError{"model m { output y = f(axis = 1, x) }",
                   "t.attn:1:34: error: positional argument after keyword argument"},
        ParseError{"model m { schedule tile }", "t.attn:1:20: error: expected '{' after 'schedule'"},
        ParseError{"model m { schedule { 4 } }",
                   "t.attn:1:22: error: expected a schedule directive or '}'"},
        ParseError{"model m { schedule { fuse(i) } }",
                   "t.attn:1:22: error: unknown schedule directive 'fuse' (known: tile, split, "
                   "vectorize, unroll, parallel, threads, gpu_blocks, gpu_threads)"},
        ParseError{"model m { schedule { tile } }", "t.attn:1:27: error: expected '(' after 'tile'"},
        ParseError{"model m { schedule { tile(i = j) } }", "t.attn:1:31: error: expected an integer"},
        ParseError{"model m { schedule { tile(i = 1, i = 2) } }",
                   "t.attn:1:34: error: duplicate keyword argument 'i'"},
        ParseError{"model m { schedule { tile(1.5) } }",
                   "t.attn:1:27: error: expected a name or an integer"}));

TEST(Parser, MissingCloserHasNote) {
  Parsed p = parse("model m {\n  output y = f(a,\n    b\n}\n");
  EXPECT_EQ(p.diagnostics, "t.attn:4:1: error: expected ')'\n"
                           "}\n"
                           "^\n"
                           "t.attn:2:15: note: to match this '('\n"
                           "  output y = f(a,\n"
                           "              ^\n");
}

TEST(Parser, DeepParenthesesAreAnErrorNotACrash) {
  std::string expr = std::string(10000, '(') + "x" + std::string(10000, ')');
  Parsed p = parse("model m { output y = " + expr + " }");
  EXPECT_FALSE(p.module);
  EXPECT_NE(p.diagnostics.find("expression is nested too deeply (limit 256)"), std::string::npos);
}

TEST(Parser, DeepUnaryAndPowerChains) {
  for (std::string op : {"-", "!", "x ** "}) {
    std::string expr;
    for (int i = 0; i < 100000; ++i)
      expr += op;
    Parsed p = parse("model m { output y = " + expr + "x }");
    EXPECT_FALSE(p.module);
    EXPECT_NE(p.diagnostics.find("nested too deeply"), std::string::npos) << op;
  }
}

TEST(Parser, LongFlatChainsAreBoundedByTreeDepth) {
  // A left-associative chain makes a tree as deep as it is long; passes
  // that walk the tree recursively rely on the bound.
  std::string ok = "x", deep = "x";
  for (unsigned i = 0; i < kMaxExpressionDepth - 1; ++i)
    ok += " + x";
  for (int i = 0; i < 100000; ++i)
    deep += " + x";
  EXPECT_TRUE(parse("model m { output y = " + ok + " }").module);
  Parsed p = parse("model m { output y = " + deep + " }");
  EXPECT_FALSE(p.module);
  EXPECT_NE(p.diagnostics.find("nested too deeply"), std::string::npos);
}

TEST(Parser, NestedCallsAndSubscripts) {
  std::string calls, subs = "x";
  for (int i = 0; i < 5000; ++i)
    calls += "exp(";
  calls += "x" + std::string(5000, ')');
  for (int i = 0; i < 5000; ++i)
    subs = "x[" + subs + "]";
  EXPECT_FALSE(parse("model m { output y = " + calls + " }").module);
  EXPECT_FALSE(parse("model m { output y = " + subs + " }").module);
}

TEST(Parser, ManyDeclarationsDoNotRecurse) {
  std::string src = "model m {\n  input x: f32\n";
  src.reserve(20 << 20);
  for (int i = 0; i < 1000000; ++i)
    src += "  let v" + std::to_string(i) + " = x\n";
  src += "  output y = x\n}\n";
  Parsed p = parse(src);
  ASSERT_TRUE(p.module) << firstLine(p.diagnostics);
  EXPECT_EQ(p.module->models[0].decls.size(), 1000002u);
}

TEST(Parser, ManyArgumentsAndDims) {
  std::string args, dims;
  for (int i = 0; i < 100000; ++i) {
    args += i ? ", x" : "x";
    dims += (i ? ", D" : "D") + std::to_string(i);
  }
  Parsed p = parse("model m { dim " + dims + " output y = f(" + args + ") }");
  ASSERT_TRUE(p.module) << firstLine(p.diagnostics);
  EXPECT_EQ(p.module->models[0].dims.size(), 100000u);
  EXPECT_EQ(p.module->models[0].decls[0].value->operands.size(), 100000u);
}

TEST(Parser, RankLimit) {
  std::string shape;
  for (unsigned i = 0; i <= kMaxRank; ++i)
    shape += i ? ", 1" : "1";
  Parsed p = parse("model m { input x: f32[" + shape + "] }");
  EXPECT_EQ(firstLine(p.diagnostics), "t.attn:1:" + std::to_string(24 + 3 * kMaxRank) +
                                          ": error: too many axes (limit 64)");
}

TEST(Parser, ReductionIndexLimit) {
  // Each index of a reduction is checked against the ones before it, so the
  // list is bounded like a shape: 100 000 indices used to take minutes.
  std::string indices;
  for (unsigned i = 0; i < 100000; ++i)
    indices += (i ? ", j" : "j") + std::to_string(i);
  Parsed p = parse("model m { output y = sum(" + indices + ": x[j0]) }");
  EXPECT_EQ(firstLine(p.diagnostics), "t.attn:1:336: error: too many axes (limit 64)");
  // Without the ':', the names are not buffered to the end of the list.
  p = parse("model m { output y = max(" + indices + ") }");
  EXPECT_EQ(firstLine(p.diagnostics), "t.attn:1:336: error: too many axes (limit 64)");
}

TEST(Parser, ScheduleArgumentLimit) {
  std::string args;
  for (unsigned i = 0; i <= kMaxRank; ++i)
    args += (i ? ", k" : "k") + std::to_string(i) + " = 1";
  Parsed p = parse("model m { schedule { tile(" + args + ") } }");
  EXPECT_EQ(firstLine(p.diagnostics),
            "t.attn:1:593: error: too many arguments of 'tile' (limit 64)");
}

TEST(Parser, IndexVariablesCountAsNodes) {
  // 40 000 definitions of 64 indices: 2 560 000 index variables.
  std::string list;
  for (unsigned i = 0; i < kMaxRank; ++i)
    list += (i ? ", j" : "j") + std::to_string(i);
  std::string src = "model m {";
  for (unsigned i = 0; i < 40000; ++i)
    src += " let a" + std::to_string(i) + "[" + list + "] = 1";
  Parsed p = parse(src + " }");
  EXPECT_FALSE(p.module);
  EXPECT_NE(p.diagnostics.find("too many expressions in one file"), std::string::npos);
}

} // namespace
