//===- CheckerTest.cpp - Names, dims, types, shapes, comprehensions -------===//

#include "TestUtil.h"

#include <gtest/gtest.h>

using namespace attnc;
using namespace attnc::ast;
using namespace attnc::test;

namespace {

/// The type of `expr` as the value of output `y` in a model with these
/// declarations.
std::string typeOf(const std::string &decls, const std::string &expr) {
  Checked c = check(model(decls + "\n  output y = " + expr));
  if (!c.module)
    return "error: " + firstLine(c.diagnostics);
  return declType(*c.module, "y");
}

const char *kTensors = R"(
  dim B, H, S, T, D = 64
  input x: f32[S, D], h: f16[S, D], g: f16[D], b: bf16[S, D], c: bf16[D]
  input n: i32[S], len: i32, s: f32, col: f32[S, 1], row: f32[T]
  input q: f32[B, H, S, D], k: f32[B, H, T, D])";

TEST(Checker, NamesResolve) {
  Checked c = check(model(R"(
  dim S, E = 4
  input x: f32[S, E]
  let y = x * E
  output z[i, j] = y[i, j] + i + S)"));
  ASSERT_TRUE(c.module) << c.diagnostics;
  const Model &m = c.module->models[0];
  const Expr &y = *m.decls[1].value; // x * E
  EXPECT_EQ(y.operands[0]->refKind, RefKind::Decl);
  EXPECT_EQ(y.operands[0]->refId, 0);
  EXPECT_EQ(y.operands[1]->refKind, RefKind::Dim);
  EXPECT_EQ(y.operands[1]->refId, 1);
  const Expr &z = *m.decls[2].value;          // (y[i, j] + i) + S
  const Expr &sub = *z.operands[0]->operands[0]; // y[i, j]
  EXPECT_EQ(sub.operands[0]->refKind, RefKind::Decl);
  EXPECT_EQ(sub.operands[0]->refId, 1);
  EXPECT_EQ(sub.operands[1]->refKind, RefKind::Index);
  EXPECT_EQ(sub.operands[1]->refId, m.decls[2].indices[0]);
  EXPECT_EQ(z.operands[0]->operands[1]->refKind, RefKind::Index);
  EXPECT_EQ(z.operands[1]->refKind, RefKind::Dim);
}

TEST(Checker, DimsAndSymbolicIndices) {
  Checked c = check(model(R"(
  dim B, E = 512, S, H = 8
  input x: f32[B, S, E / H, 2 * E]
  output y = x)"));
  ASSERT_TRUE(c.module) << c.diagnostics;
  const Model &m = c.module->models[0];
  EXPECT_EQ(m.dims[0].symbolicIndex, 0);
  EXPECT_EQ(m.dims[1].symbolicIndex, -1);
  EXPECT_EQ(m.dims[2].symbolicIndex, 1);
  EXPECT_EQ(m.symbolicDims(), (std::vector<int>{0, 2}));
  EXPECT_EQ(m.dimNames(), (std::vector<std::string>{"B", "E", "S", "H"}));
  const Decl &x = m.decls[0];
  ASSERT_EQ(x.shape.size(), 4u);
  EXPECT_EQ(x.shape[0], DimExpr::symbol(0));
  EXPECT_EQ(x.shape[1], DimExpr::symbol(2)); // atoms index Model::dims
  EXPECT_EQ(x.shape[2], DimExpr::constant(64));
  EXPECT_EQ(x.shape[3], DimExpr::constant(1024));
  EXPECT_TRUE(m.shapeChecks.empty());
  EXPECT_EQ(declType(*c.module, "x"), "f32[B, S, 64, 1024]");
  EXPECT_EQ(x.type.dtype, DType::F32);
  EXPECT_EQ(x.shapeExprs[2]->type.kind, ElemKind::Int);
}

TEST(Checker, DivisibilityChecksAreRecordedOnce) {
  Checked c = check(model(R"(
  dim B, S, E, H
  input x: f32[B, S, E], w: f32[E / H]
  let q = heads(x, H)
  let r = reshape(x, [B, S, H, E / H])
  let e[i: (S + 1) / 2] = w[0]
  output y = q + transpose(r, [0, 2, 1, 3]))"));
  ASSERT_TRUE(c.module) << c.diagnostics;
  const Model &m = c.module->models[0];
  std::vector<std::string> checks;
  for (const DimExpr &d : m.shapeChecks)
    checks.push_back(d.str(m.dimNames()));
  EXPECT_EQ(checks, (std::vector<std::string>{"E/H", "(S + 1)/2"}));
}

TEST(Checker, BoundsOfDimsAndSlicesBecomeChecksWhenSymbolic) {
  Checked c = check(model(R"(
  dim T, S <= T + 1, E = 4
  input x: f32[S, E]
  param pos: f32[512, E]
  output a = x + pos[:S]
  output b = pos[S - 4]
  output c = x[2:, :-1]
  output d = pos[-S:])"));
  ASSERT_TRUE(c.module) << c.diagnostics;
  const Model &m = c.module->models[0];
  std::vector<std::string> checks;
  for (const DimExpr &d : m.shapeChecks)
    checks.push_back(d.str(m.dimNames()));
  // S <= T + 1; pos[:S] ends inside pos; pos[S - 4] starts at 0 or more
  // and ends inside pos; x[2:] has S - 2 rows; -S counts from the end, so S
  // may not be 0.
  EXPECT_EQ(checks, (std::vector<std::string>{"T - S + 1", "-S + 512", "S - 4", "-S + 515",
                                              "S - 2", "S - 1"}));
  EXPECT_EQ(declType(*c.module, "a"), "f32[S, 4]");
  EXPECT_EQ(declType(*c.module, "b"), "f32[4]");
  EXPECT_EQ(declType(*c.module, "c"), "f32[S - 2, 3]");
  EXPECT_EQ(declType(*c.module, "d"), "f32[S, 4]");
}

TEST(Checker, LiteralsAndScalars) {
  EXPECT_EQ(typeOf(kTensors, "1"), "i32");
  EXPECT_EQ(typeOf(kTensors, "0.5"), "f32");
  EXPECT_EQ(typeOf(kTensors, "-inf"), "f32");
  EXPECT_EQ(typeOf(kTensors, "S"), "i32");
  EXPECT_EQ(typeOf(kTensors, "S / 2 % 3"), "i32");
  EXPECT_EQ(typeOf(kTensors, "len + 1"), "i32");
  EXPECT_EQ(typeOf(kTensors, "sqrt(D)"), "f32");
  EXPECT_EQ(typeOf(kTensors, "2 ** 3"), "f32"); // ** is always float
}

TEST(Checker, Promotion) {
  EXPECT_EQ(typeOf(kTensors, "x + x"), "f32[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "h * h"), "f16[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "h + g"), "f16[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "b - c"), "bf16[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "h + b"), "f32[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "h + x"), "f32[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "h + s"), "f32[S, 64]");
  // Literals, dims and integers do not widen a half-precision tensor.
  EXPECT_EQ(typeOf(kTensors, "h * 0.5"), "f16[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "h / sqrt(D)"), "f16[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "b * n[0]"), "bf16[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "h ** 2"), "f16[S, 64]");
  EXPECT_EQ(typeOf(kTensors + std::string("\n  let scale = 1 / sqrt(D)"), "h * scale"),
            "f16[S, 64]");
  // Integer tensors stay integer; `/` is floor division.
  EXPECT_EQ(typeOf(kTensors, "n * 2 / 3"), "i32[S]");
  EXPECT_EQ(typeOf(kTensors, "n + 0.5"), "f32[S]");
  EXPECT_EQ(typeOf(kTensors, "n ** 2"), "f32[S]");
  EXPECT_EQ(typeOf(kTensors, "-n"), "i32[S]");
}

TEST(Checker, BooleansAndWhere) {
  Checked c = check(model(std::string(kTensors) + "\n  let m = x > 0 && !(x == 1) || x <= s\n"
                                                  "  output y = where(m, x, 0)"));
  ASSERT_TRUE(c.module) << c.diagnostics;
  EXPECT_EQ(declType(*c.module, "m"), "bool[S, 64]");
  EXPECT_EQ(c.module->models[0].decls[12].type.dtype, DType::I32);
  EXPECT_EQ(declType(*c.module, "y"), "f32[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "where(n > 0, n, 1)"), "i32[S]");
  EXPECT_EQ(typeOf(kTensors, "where(col > row, h[0, 0], 0)"), "f16[S, T]");
}

TEST(Checker, Broadcasting) {
  EXPECT_EQ(typeOf(kTensors, "col + row"), "f32[S, T]");
  EXPECT_EQ(typeOf(kTensors, "q + x"), "f32[B, H, S, 64]");
  EXPECT_EQ(typeOf(kTensors, "x * s"), "f32[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "q * k[0, 0, 0, 0]"), "f32[B, H, S, 64]");
  EXPECT_EQ(typeOf(kTensors, "q - k"),
            "error: t.attn:7:16: error: 'q' is f32[B, H, S, 64] but 'k' is f32[B, H, T, 64]: "
            "axes 2 differ (S vs T)");
  EXPECT_EQ(typeOf(kTensors, "x * 2 + row"),
            "error: t.attn:7:20: error: the left operand is f32[S, 64] but 'row' is f32[T]: "
            "last axes differ (64 vs T)");
}

TEST(Checker, MatMul) {
  const std::string d = R"(
  dim B, H, S, T, D, N
  input q: f32[B, H, S, D], k: f32[B, H, T, D], w: f32[D, N], v: f32[D], u: f32[N]
  input a: f32[1, S, D], bt: f32[B, D, T])";
  EXPECT_EQ(typeOf(d, "q @ k.T"), "f32[B, H, S, T]");
  EXPECT_EQ(typeOf(d, "q @ w"), "f32[B, H, S, N]");
  EXPECT_EQ(typeOf(d, "v @ w"), "f32[N]");
  EXPECT_EQ(typeOf(d, "w @ u"), "f32[D]");
  EXPECT_EQ(typeOf(d, "v @ v"), "f32");
  EXPECT_EQ(typeOf(d, "q @ v"), "f32[B, H, S]");
  EXPECT_EQ(typeOf(d, "a @ bt"), "f32[B, S, T]");
}

TEST(Checker, Transpose) {
  EXPECT_EQ(typeOf(kTensors, "q.T"), "f32[B, H, 64, S]");
  EXPECT_EQ(typeOf(kTensors, "x.T.T"), "f32[S, 64]");
}

TEST(Checker, ComprehensionExtentsFromPlainUses) {
  Checked c = check(model(R"(
  dim B, S, T, Hd
  input qh: f32[B, S, Hd], kh: f32[B, T, Hd], wv: f32[Hd]
  let e[b, i, j] = sum(h: wv[h] * tanh(qh[b, i, h] + kh[b, j, h]))
  output y = e)"));
  ASSERT_TRUE(c.module) << c.diagnostics;
  const Model &m = c.module->models[0];
  EXPECT_EQ(declType(*c.module, "e"), "f32[B, S, T]");
  const Decl &e = m.decls[3];
  EXPECT_EQ(m.indexVars[e.indices[1]].extent, DimExpr::symbol(1));
  const Expr &sum = *e.value;
  ASSERT_EQ(sum.kind, ExprKind::Reduce);
  EXPECT_EQ(m.indexVars[sum.boundIndices[0]].extent, DimExpr::symbol(3));
  EXPECT_EQ(sum.type.rank(), 0u);
}

TEST(Checker, ComprehensionForms) {
  const std::string d = R"(
  dim N, C, H, W, G = 5
  input x: f32[N, C, H, W], k: f32[N, 8, C, 16], s: f32[N, N], tok: i32[N], emb: f32[100, C]
  input slope: f32[8], q: f32[8, N, 16], kk: f32[8, N, 16])";
  auto type = [&](const std::string &def) {
    Checked c = check(model(d + "\n  let r" + def + "\n  output y = r"));
    return c.module ? declType(*c.module, "r") : "error: " + firstLine(c.diagnostics);
  };
  EXPECT_EQ(type("[n, c] = mean(h, w: x[n, c, h, w])"), "f32[N, C]");
  EXPECT_EQ(type("[n, c, y: H, z: W] = sum(dy, dx: x[n, c, y + dy - 1, z + dx - 1] * "
                 "s[dy, dx])"),
            "f32[N, C, H, W]");
  EXPECT_EQ(type("[n, h, c, d] = k[n, h / 2, c, d]"),
            "error: t.attn:6:12: error: cannot infer the extent of index 'h'; give it "
            "explicitly: r[h: N]");
  EXPECT_EQ(type("[n, h: 8, c, d] = k[n, h / 2, c, d]"), "f32[N, 8, C, 16]");
  EXPECT_EQ(type("[i] = s[i, i]"), "f32[N]");
  EXPECT_EQ(type("[h, i, j] = (q @ kk.T)[h, i, j] + slope[h] * (j - i)"), "f32[8, N, N]");
  EXPECT_EQ(type("[i, j] = where(j <= i, s[i, j], -inf)"), "f32[N, N]");
  EXPECT_EQ(type("[t, c] = emb[tok[t], c]"), "f32[N, C]");
  EXPECT_EQ(type("[i: G, a: W] = exp(-(a - i * 0.5) ** 2)"), "f32[5, W]");
  EXPECT_EQ(type("[i: N] = i"), "i32[N]");
  EXPECT_EQ(type("[i, j] = max(m: s[i, m] + s[m, j]) - min(m: s[m, m])"), "f32[N, N]");
  // A left index gets its extent from a plain use inside a nested reduction.
  EXPECT_EQ(type("[i] = sum(j: s[i, j])"), "f32[N]");
  // A use as a value does not give an extent.
  EXPECT_EQ(type("[n] = sum(j: tok[j]) + n"),
            "error: t.attn:6:9: error: cannot infer the extent of index 'n'; give it "
            "explicitly: r[n: N]");
}

TEST(Checker, ReductionsInTensorContext) {
  EXPECT_EQ(typeOf(kTensors, "sum(i: n[i])"), "i32");
  EXPECT_EQ(typeOf(kTensors, "mean(i: n[i])"), "f32");
  EXPECT_EQ(typeOf(kTensors, "x * max(i, j: x[i, j])"), "f32[S, 64]");
  EXPECT_EQ(typeOf(kTensors, "sum(i: h[i, 0])"), "f16");
}

TEST(Checker, ExtentConflictsNameBothUses) {
  Checked c = check(model(R"(
  dim S, T
  input a: f32[S], b: f32[T]
  output y[i] = a[i] + b[i])"));
  EXPECT_EQ(c.diagnostics,
            "t.attn:5:26: error: index 'i' has extent T here (axis 0 of 'b'), but extent S at "
            "its first use\n"
            "  output y[i] = a[i] + b[i]\n"
            "                         ^\n"
            "t.attn:5:19: note: first use of 'i' here (axis 0 of 'a')\n"
            "  output y[i] = a[i] + b[i]\n"
            "                  ^\n");
}

TEST(Checker, IndexScopes) {
  const std::string d = "  dim S\n  input x: f32[S], m: f32[S, S]";
  EXPECT_EQ(firstLine(check(model(d + "\n  let y[i] = x[i]\n  output z = i")).diagnostics),
            "t.attn:5:14: error: use of undeclared name 'i'");
  EXPECT_EQ(firstLine(check(model(d + "\n  output y[i] = sum(j: m[i, j]) + j")).diagnostics),
            "t.attn:4:35: error: use of undeclared name 'j'");
  EXPECT_EQ(firstLine(check(model(d + "\n  output y[i] = (x + i)[i]")).diagnostics),
            "t.attn:4:22: error: index 'i' cannot be used inside a subscripted expression, "
            "which is computed as a whole tensor");
  EXPECT_EQ(firstLine(check(model(d + "\n  output y[i] = sum(j: m[i, j] * sum(j: x[j]))"))
                          .diagnostics),
            "t.attn:4:38: error: index 'j' shadows index 'j'");
}

TEST(Checker, ScalarsInsideComprehensions) {
  Checked c = check(model("  dim S\n  input x: f32[S], s: f32\n  output y[i] = x[i] * s + x"));
  EXPECT_EQ(firstLine(c.diagnostics),
            "t.attn:4:28: error: 'x' has rank 1; subscript it inside a comprehension");
}

TEST(Checker, DeclarationOrderMatters) {
  Checked c = check(model("  input x: f32[S]\n  dim S\n  output y = x"));
  EXPECT_EQ(firstLine(c.diagnostics), "t.attn:2:16: error: use of undeclared name 'S'");
  c = check(model("  dim S\n  let a = b\n  input b: f32[S]\n  output y = a"));
  EXPECT_EQ(firstLine(c.diagnostics), "t.attn:3:11: error: use of undeclared name 'b'");
}

TEST(Checker, OutputsMayBeReused) {
  Checked c = check(model("  dim S\n  input x: f32[S]\n  output a = x * 2\n  output b = a + 1"));
  ASSERT_TRUE(c.module) << c.diagnostics;
  EXPECT_EQ(declType(*c.module, "b"), "f32[S]");
}

TEST(Checker, SeveralModels) {
  Checked c = check("model a { dim S input x: f32[S] output y = x }\n"
                    "model b { dim S = 4 input x: f16[S] output y = x * 2 }");
  ASSERT_TRUE(c.module) << c.diagnostics;
  ASSERT_EQ(c.module->models.size(), 2u);
  const Model &b = c.module->models[1];
  EXPECT_EQ(ast::typeToString(b.decls[1].type, b.dimNames()), "f16[4]");
}

} // namespace
