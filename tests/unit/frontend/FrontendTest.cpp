//===- FrontendTest.cpp - The whole language, options and limits ----------===//

#include "TestUtil.h"

#include "attnc/Frontend/Checker.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace attnc;
using namespace attnc::ast;
using namespace attnc::test;

namespace {

std::string readInput(const std::string &name) {
  std::ifstream in(std::string(ATTNC_FRONTEND_TEST_INPUTS) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Every expression of the tree has been visited by the checker: names are
/// resolved and calls resolved to a built-in.
void expectChecked(const Expr &e, const std::string &where) {
  if (e.kind == ExprKind::Name) {
    EXPECT_NE(e.refKind, RefKind::Unresolved) << where << ": " << e.name;
  }
  if (e.kind == ExprKind::Call) {
    EXPECT_NE(e.builtin, Builtin::None) << where << ": " << e.callee;
  }
  for (const ExprPtr &op : e.operands)
    if (op->kind != ExprKind::List)
      expectChecked(*op, where);
}

TEST(Frontend, WholeLanguage) {
  std::string src = readInput("language.attn");
  ASSERT_FALSE(src.empty());
  Checked c = check(src);
  ASSERT_TRUE(c.module) << c.diagnostics;
  EXPECT_TRUE(c.diagnostics.empty());
  EXPECT_EQ(c.module->models.size(), 13u);
  for (const Model &m : c.module->models) {
    for (const Decl &d : m.decls) {
      if (d.value)
        expectChecked(*d.value, m.name + "." + d.name);
      EXPECT_TRUE(d.kind != DeclKind::Output || d.type.kind != ElemKind::Bool);
    }
    for (const IndexVar &iv : m.indexVars) {
      auto extent = iv.extent.getConstant();
      EXPECT_TRUE(!extent || *extent >= 1) << m.name << "." << iv.name;
      EXPECT_FALSE(!extent && iv.extent.terms().empty()) << m.name << "." << iv.name;
    }
  }
  const Model &forms = c.module->models.back();
  EXPECT_EQ(forms.name, "forms");
  EXPECT_EQ(forms.schedule.size(), 8u);
  auto names = forms.dimNames();
  EXPECT_EQ(typeToString(findDecl(forms, "o1")->type, names), "f32[B, S, 64]");
  EXPECT_EQ(typeToString(findDecl(forms, "o2")->type, names), "f32[B, S, 64]");
  EXPECT_EQ(typeToString(findDecl(forms, "cast")->type, names), "f32[B, T, 64]");
  EXPECT_EQ(typeToString(findDecl(forms, "intmath")->type, names), "i32[B, S]");
  EXPECT_EQ(typeToString(findDecl(forms, "masked")->type, names), "f32[B, S, T]");
}

TEST(Frontend, ExamplesHaveExpectedTypes) {
  Checked c = check(readInput("language.attn"));
  ASSERT_TRUE(c.module) << c.diagnostics;
  auto type = [&](const std::string &model, const std::string &decl) {
    for (const Model &m : c.module->models)
      if (m.name == model)
        return typeToString(findDecl(m, decl)->type, m.dimNames());
    return std::string("<no model>");
  };
  EXPECT_EQ(type("nadaraya_watson", "f"), "f32[N]");
  EXPECT_EQ(type("additive", "e"), "f32[B, S, T]");
  EXPECT_EQ(type("sdpa", "o"), "f32[B, H, S, 64]");
  EXPECT_EQ(type("luong", "out"), "f32[B, 128]");
  EXPECT_EQ(type("mha", "s"), "f32[B, 4, S, S]");
  EXPECT_EQ(type("mha", "y"), "f32[B, S, 256]");
  EXPECT_EQ(type("encoder", "y"), "f32[B, S, 256]");
  EXPECT_EQ(type("gqa", "o"), "f32[B, 8, S, 64]");
  EXPECT_EQ(type("senet", "y"), "f32[N, 64, Hh, Ww]");
  EXPECT_EQ(type("cbam", "out"), "f32[N, 32, Hh, Ww]");
  EXPECT_EQ(type("draw", "glimpse"), "f32[5, 5]");
  EXPECT_EQ(type("hard", "o"), "bf16[S, 32]");
}

TEST(Frontend, DiagnosticFormat) {
  Checked c = check("model m {\n  dim S\n  input x: f32[S]\n  output y = z + 1\n}\n");
  EXPECT_FALSE(c.module);
  EXPECT_EQ(c.diagnostics, "t.attn:4:14: error: use of undeclared name 'z'\n"
                           "  output y = z + 1\n"
                           "             ^\n");
}

TEST(Frontend, LongLinesAreShownAroundTheCaret) {
  std::string args;
  for (int i = 0; i < 3000; ++i)
    args += "x, ";
  std::string src = "model m { input x: f32 output y = f(" + args + "$) }";
  Checked c = check(src);
  std::istringstream lines(c.diagnostics);
  std::string error, shown, caret;
  std::getline(lines, error);
  std::getline(lines, shown);
  std::getline(lines, caret);
  EXPECT_EQ(error, "t.attn:1:9037: error: unexpected character '$'");
  EXPECT_LT(shown.size(), 200u);
  EXPECT_EQ(shown.substr(0, 3), "...");
  EXPECT_EQ(shown.substr(shown.size() - 4), "$) }");
  EXPECT_EQ(caret.size(), shown.size() - 3);
  EXPECT_EQ(shown[caret.size() - 1], '$');
  EXPECT_EQ(caret.back(), '^');
}

TEST(Frontend, KeywordsMayNameOptions) {
  Checked c = check(model("  dim S\n  input x: f32[S]\n  output y = softmax(x, dim = -1)"));
  EXPECT_EQ(firstLine(c.diagnostics),
            "t.attn:4:25: error: unknown keyword argument 'dim' for 'softmax' (expected axis)");
}

TEST(Frontend, OnlyTheFirstErrorIsReported) {
  Checked c = check(model("  output y = a + b"));
  EXPECT_EQ(c.diagnostics.find("'b'"), std::string::npos);
}

TEST(Frontend, DimOverrides) {
  const std::string src = "model a { dim B, S input x: f32[B, S] output y = x }\n"
                          "model b { dim S, T = 4 input x: f32[S, T] output y = x }\n";
  FrontendOptions opts;
  opts.dimOverrides = {{"S", 128}, {"T", 4}, {"S", 128}};
  Checked c = check(src, opts);
  ASSERT_TRUE(c.module) << c.diagnostics;
  for (const Model &m : c.module->models) {
    const DimDecl &s = m.dims[m.name == "a" ? 1 : 0];
    EXPECT_TRUE(s.isFixed);
    EXPECT_EQ(s.fixedValue, 128);
  }
  EXPECT_EQ(c.module->models[0].dims[0].symbolicIndex, 0);
  EXPECT_EQ(declType(*c.module, "y"), "f32[B, 128]");

  auto error = [&](std::vector<std::pair<std::string, int64_t>> dims) {
    FrontendOptions o;
    o.dimOverrides = std::move(dims);
    Checked r = check(src, o);
    EXPECT_FALSE(r.module);
    return r.diagnostics;
  };
  EXPECT_EQ(error({{"Q", 3}}), "attnc: error: --dim Q=3: no model declares a dim named 'Q'\n");
  EXPECT_EQ(error({{"x", 3}}), "attnc: error: --dim x=3: no model declares a dim named 'x'\n");
  EXPECT_EQ(error({{"T", 8}}),
            "attnc: error: --dim T=8: dim 'T' of model 'b' is fixed to 4\n");
  EXPECT_EQ(error({{"S", 0}}), "attnc: error: --dim S=0: dim values must be at least 1\n");
  EXPECT_EQ(error({{"S", 2}, {"S", 3}}),
            "attnc: error: --dim S=3: 'S' is already given as 2\n");
}

TEST(Frontend, FileSizeLimit) {
  std::string big(kMaxSourceBytes + 1, ' ');
  std::ostringstream out;
  EXPECT_FALSE(parseAndCheck("big.attn", big, {}, out));
  EXPECT_EQ(out.str(), "attnc: error: big.attn: file is too large (16777217 bytes; the limit "
                       "is 16 MiB)\n");
}

TEST(Frontend, HugeDimProductsAreDiagnosed) {
  Checked c = check(model("  dim A = 4294967296, B = 4294967296\n  input x: f32[A * B]\n"
                          "  output y = x"));
  EXPECT_EQ(firstLine(c.diagnostics), "t.attn:3:18: error: dim expression overflows 64 bits");
  std::string terms = "S0";
  std::string dims = "S0";
  for (int i = 1; i < 20; ++i) {
    terms += " + S" + std::to_string(i);
    dims += ", S" + std::to_string(i);
  }
  c = check(model("  dim " + dims + "\n  input x: f32[(" + terms + ") * (" + terms +
                  ")]\n  output y = x"));
  EXPECT_NE(firstLine(c.diagnostics).find("dim expression is too complex"), std::string::npos)
      << c.diagnostics;
}

TEST(Frontend, ChainsOfDeclarationsCannotNestExtentsWithoutBound) {
  // Each declaration divides the last extent once more; quotients nest one
  // level per declaration until the nesting limit stops it.
  std::string src = "model m {\n  dim S, E\n  input a0: f32[S, E]\n";
  for (int i = 1; i <= 100; ++i)
    src += "  let a" + std::to_string(i) + " = sum(heads(a" + std::to_string(i - 1) +
           ", 2), axis = 0)\n";
  src += "  output y = a100\n}\n";
  Checked c = check(src);
  EXPECT_FALSE(c.module);
  EXPECT_NE(firstLine(c.diagnostics).find("dim expression is too complex"), std::string::npos)
      << c.diagnostics;
}

} // namespace
