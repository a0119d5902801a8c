//===- BuiltinsTest.cpp - Types and attributes of every built-in ----------===//

#include "TestUtil.h"

#include "attnc/Frontend/Checker.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace attnc;
using namespace attnc::ast;
using namespace attnc::test;

namespace {

const char *kDecls = R"(
  dim B, S, E, H, T
  input x: f32[B, S, E], h: f16[S, E], n: i32[S], g: f32[E], be: f32[E], one: f32[1]
  input s: f32[S, T], v: f32[T, E], a: f32[S, E], c: f32[S, 7])";

struct Call {
  std::unique_ptr<Module> module;
  const Expr *expr = nullptr; // the value of output `y`
  std::string type;
  std::string error;
};

Call call(const std::string &expr) {
  Call r;
  Checked c = check(model(std::string(kDecls) + "\n  output y = " + expr));
  if (!c.module) {
    r.error = firstLine(c.diagnostics);
    return r;
  }
  r.module = std::move(c.module);
  const Model &m = r.module->models[0];
  r.expr = findDecl(m, "y")->value.get();
  r.type = ast::typeToString(r.expr->type, m.dimNames());
  return r;
}

TEST(Builtins, Elementwise) {
  const std::pair<const char *, Builtin> fns[] = {
      {"exp", Builtin::Exp},   {"log", Builtin::Log},   {"sqrt", Builtin::Sqrt},
      {"rsqrt", Builtin::Rsqrt}, {"tanh", Builtin::Tanh},
      {"sigmoid", Builtin::Sigmoid}, {"relu", Builtin::Relu}, {"gelu", Builtin::Gelu},
      {"sin", Builtin::Sin},   {"cos", Builtin::Cos}, {"silu", Builtin::Silu},
      {"softplus", Builtin::Softplus}, {"erf", Builtin::Erf}};
  for (auto [name, builtin] : fns) {
    Call c = call(std::string(name) + "(x)");
    ASSERT_TRUE(c.module) << c.error;
    EXPECT_EQ(c.expr->builtin, builtin) << name;
    EXPECT_EQ(c.type, "f32[B, S, E]") << name;
    EXPECT_EQ(call(std::string(name) + "(h)").type, "f16[S, E]") << name;
    EXPECT_EQ(call(std::string(name) + "(n)").type, "f32[S]") << name;
    EXPECT_STREQ(builtinName(builtin), name);
  }
}

TEST(Builtins, AbsKeepsTheKindOfItsArgument) {
  EXPECT_EQ(call("abs(n)").type, "i32[S]");
  EXPECT_EQ(call("abs(x)").type, "f32[B, S, E]");
  EXPECT_EQ(call("abs(h)").type, "f16[S, E]");
  EXPECT_EQ(call("abs(x)").expr->builtin, Builtin::Abs);
}

TEST(Builtins, RoundingGivesIntegers) {
  const std::pair<const char *, Builtin> fns[] = {{"floor", Builtin::Floor},
                                                  {"ceil", Builtin::Ceil},
                                                  {"round", Builtin::Round},
                                                  {"int", Builtin::Int}};
  for (auto [name, builtin] : fns) {
    Call c = call(std::string(name) + "(x)");
    ASSERT_TRUE(c.module) << c.error;
    EXPECT_EQ(c.expr->builtin, builtin) << name;
    EXPECT_EQ(c.type, "i32[B, S, E]") << name;
    EXPECT_EQ(call(std::string(name) + "(h)").type, "i32[S, E]") << name;
    EXPECT_EQ(call(std::string(name) + "(n)").type, "i32[S]") << name;
    EXPECT_STREQ(builtinName(builtin), name);
  }
}

TEST(Builtins, ClampPromotesAndBroadcastsItsThreeArguments) {
  Call c = call("clamp(x, 0, g)");
  ASSERT_TRUE(c.module) << c.error;
  EXPECT_EQ(c.expr->builtin, Builtin::Clamp);
  EXPECT_EQ(c.type, "f32[B, S, E]");
  EXPECT_EQ(call("clamp(n, 0, 3)").type, "i32[S]");
  EXPECT_EQ(call("clamp(h, -1, 1)").type, "f16[S, E]");
  EXPECT_STREQ(builtinName(Builtin::Clamp), "clamp");
}

TEST(Builtins, MaxMinOfTwo) {
  Call c = call("max(x, g)");
  EXPECT_EQ(c.expr->builtin, Builtin::Max2);
  EXPECT_EQ(c.type, "f32[B, S, E]");
  EXPECT_EQ(call("min(n, 3)").expr->builtin, Builtin::Min2);
  EXPECT_EQ(call("min(n, 3)").type, "i32[S]");
  EXPECT_EQ(call("max(h, 0)").type, "f16[S, E]");
}

TEST(Builtins, Where) {
  Call c = call("where(s > 0, s, -inf)");
  EXPECT_EQ(c.expr->builtin, Builtin::Where);
  EXPECT_EQ(c.type, "f32[S, T]");
  EXPECT_EQ(call("where(n > 0, h, 0)").error,
            "t.attn:6:14: error: the condition is bool[S] but 'h' is f16[S, E]: last axes "
            "differ (S vs E)");
}

TEST(Builtins, Softmax) {
  Call c = call("softmax(x)");
  EXPECT_EQ(c.expr->builtin, Builtin::Softmax);
  EXPECT_EQ(c.expr->axis, 2);
  EXPECT_EQ(c.type, "f32[B, S, E]");
  EXPECT_EQ(call("softmax(x, axis = 0)").expr->axis, 0);
  EXPECT_EQ(call("softmax(x, axis = -2)").expr->axis, 1);
  EXPECT_EQ(call("softmax(h)").type, "f16[S, E]");
  EXPECT_EQ(call("softmax(n)").type, "f32[S]");
}

TEST(Builtins, ReduceAxis) {
  Call c = call("sum(x, axis = 1)");
  EXPECT_EQ(c.expr->builtin, Builtin::ReduceAxis);
  EXPECT_EQ(c.expr->reduceKind, ReduceKind::Sum);
  EXPECT_EQ(c.expr->axes, (std::vector<int64_t>{1}));
  EXPECT_EQ(c.type, "f32[B, E]");
  c = call("sum(x)");
  EXPECT_EQ(c.expr->axes, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(c.type, "f32");
  c = call("mean(x, axis = [-1, 0])");
  EXPECT_EQ(c.expr->reduceKind, ReduceKind::Mean);
  EXPECT_EQ(c.expr->axes, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(c.type, "f32[S]");
  c = call("max(x, axis = -1)");
  EXPECT_EQ(c.expr->builtin, Builtin::ReduceAxis);
  EXPECT_EQ(c.expr->reduceKind, ReduceKind::Max);
  EXPECT_EQ(c.type, "f32[B, S]");
  c = call("min(n)");
  EXPECT_EQ(c.expr->reduceKind, ReduceKind::Min);
  EXPECT_EQ(c.type, "i32");
  EXPECT_EQ(call("sum(n)").type, "i32");
  EXPECT_EQ(call("mean(n)").type, "f32");
  EXPECT_EQ(call("sum(h, axis = 0)").type, "f16[E]");
}

TEST(Builtins, Norms) {
  Call c = call("layernorm(x, g, be)");
  EXPECT_EQ(c.expr->builtin, Builtin::LayerNorm);
  EXPECT_DOUBLE_EQ(c.expr->eps, 1e-5);
  EXPECT_EQ(c.type, "f32[B, S, E]");
  EXPECT_DOUBLE_EQ(call("layernorm(x, g, be, eps = 0.001)").expr->eps, 0.001);
  EXPECT_DOUBLE_EQ(call("layernorm(x, 1, 0, eps = 0)").expr->eps, 0.0);
  c = call("rmsnorm(x, g)");
  EXPECT_EQ(c.expr->builtin, Builtin::RMSNorm);
  EXPECT_DOUBLE_EQ(c.expr->eps, 1e-6);
  EXPECT_EQ(call("rmsnorm(x, one, eps = 1e-8)").type, "f32[B, S, E]");
  EXPECT_EQ(call("rmsnorm(h, 2.0)").type, "f16[S, E]");
}

TEST(Builtins, HeadsAndUnheads) {
  Call c = call("heads(x, H)");
  EXPECT_EQ(c.expr->builtin, Builtin::Heads);
  EXPECT_EQ(c.expr->dimArg, DimExpr::symbol(3));
  EXPECT_EQ(c.type, "f32[B, H, S, E/H]");
  EXPECT_EQ(call("heads(x, 4)").type, "f32[B, 4, S, E/4]");
  c = call("unheads(heads(x, H))");
  EXPECT_EQ(c.expr->builtin, Builtin::Unheads);
  EXPECT_EQ(c.type, "f32[B, S, E]"); // H * (E/H) is E
  EXPECT_EQ(call("unheads(heads(x, H)) + x").type, "f32[B, S, E]");
  Checked fixed = check(model("  dim S, E = 512, H = 8\n  input x: f32[S, E]\n"
                              "  output y = unheads(heads(x, H))"));
  ASSERT_TRUE(fixed.module) << fixed.diagnostics;
  EXPECT_EQ(declType(*fixed.module, "y"), "f32[S, 512]");
  EXPECT_TRUE(fixed.module->models[0].shapeChecks.empty());
}

TEST(Builtins, Permute) {
  Call c = call("transpose(x, [2, 0, 1])");
  EXPECT_EQ(c.expr->builtin, Builtin::Permute);
  EXPECT_EQ(c.expr->perm, (std::vector<int64_t>{2, 0, 1}));
  EXPECT_EQ(c.type, "f32[E, B, S]");
  EXPECT_EQ(call("transpose(x, [0, -1, 1])").expr->perm, (std::vector<int64_t>{0, 2, 1}));
  c = call("transpose(x)"); // like numpy: reversed axes
  EXPECT_EQ(c.expr->perm, (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(c.type, "f32[E, S, B]");
}

TEST(Builtins, Reshape) {
  Call c = call("reshape(x, [B * S, E])");
  EXPECT_EQ(c.expr->builtin, Builtin::Reshape);
  ASSERT_EQ(c.expr->shapeArg.size(), 2u);
  EXPECT_EQ(c.type, "f32[B*S, E]");
  EXPECT_EQ(call("reshape(x, [S, -1, B])").type, "f32[S, E, B]");
  EXPECT_EQ(call("reshape(c, [S, 7, 1])").type, "f32[S, 7, 1]");
  EXPECT_EQ(call("reshape(x, [B, S, H, E / H])").type, "f32[B, S, H, E/H]");
  EXPECT_EQ(call("reshape(s, [T, S])").type, "f32[T, S]");
}

TEST(Builtins, Concat) {
  Call c = call("concat(a, h)");
  EXPECT_EQ(c.expr->builtin, Builtin::Concat);
  EXPECT_EQ(c.expr->axis, 0);
  EXPECT_EQ(c.type, "f32[2*S, E]");
  c = call("concat(a, c, axis = -1)");
  EXPECT_EQ(c.expr->axis, 1);
  EXPECT_EQ(c.type, "f32[S, E + 7]");
  EXPECT_EQ(call("concat(a, a, a, axis = 1)").type, "f32[S, 3*E]");
}

TEST(Builtins, TopkMask) {
  Call c = call("topk_mask(s, 4)");
  EXPECT_EQ(c.expr->builtin, Builtin::TopkMask);
  EXPECT_EQ(c.expr->dimArg, DimExpr::constant(4));
  EXPECT_EQ(c.type, "f32[S, T]");
  EXPECT_EQ(call("topk_mask(s, T / 2)").type, "f32[S, T]");
  EXPECT_EQ(call("topk_mask(c, 7)").type, "f32[S, 7]");
}

TEST(Builtins, KeepdimKeepsTheReducedAxesWithExtentOne) {
  Call c = call("sum(x, axis = 1, keepdim = true)");
  ASSERT_TRUE(c.module) << c.error;
  EXPECT_TRUE(c.expr->keepdim);
  EXPECT_EQ(c.type, "f32[B, 1, E]");
  EXPECT_EQ(call("max(n, keepdim = true)").type, "i32[1]");
  EXPECT_EQ(call("mean(x, axis = [0, 2], keepdim = false)").type, "f32[S]");
  EXPECT_EQ(call("sum(x, axis = 1, keepdim = yes)").error,
            "t.attn:6:41: error: keepdim must be true or false");
}

TEST(Builtins, LogSumExpAndLogSoftmax) {
  Call c = call("logsumexp(x, axis = -1)");
  ASSERT_TRUE(c.module) << c.error;
  EXPECT_EQ(c.expr->builtin, Builtin::LogSumExp);
  EXPECT_EQ(c.type, "f32[B, S]");
  EXPECT_EQ(call("logsumexp(n, keepdim = true)").type, "f32[1]");
  EXPECT_EQ(call("logsumexp(h, axis = 0)").type, "f16[E]");
  c = call("log_softmax(x, axis = 1)");
  ASSERT_TRUE(c.module) << c.error;
  EXPECT_EQ(c.expr->builtin, Builtin::LogSoftmax);
  EXPECT_EQ(c.expr->axis, 1);
  EXPECT_EQ(c.type, "f32[B, S, E]");
  EXPECT_STREQ(builtinName(Builtin::LogSumExp), "logsumexp");
  EXPECT_STREQ(builtinName(Builtin::LogSoftmax), "log_softmax");
}

TEST(Builtins, StackAddsAnAxisOfItsOperandCount) {
  Call c = call("stack(a, a, a)");
  ASSERT_TRUE(c.module) << c.error;
  EXPECT_EQ(c.expr->builtin, Builtin::Stack);
  EXPECT_EQ(c.type, "f32[3, S, E]");
  EXPECT_EQ(call("stack(a, a, axis = -1)").type, "f32[S, E, 2]");
  EXPECT_EQ(call("stack(n, n, axis = 1)").type, "i32[S, 2]");
  EXPECT_STREQ(builtinName(Builtin::Stack), "stack");
}

TEST(Builtins, EveryNamedBuiltinIsKnownAndAMisspellingSuggestsIt) {
  for (const std::string &name : builtinFunctionNames()) {
    // Whatever the arguments, the name itself is known.
    std::string error = call(name + "(x)").error;
    EXPECT_EQ(error.find("unknown function"), std::string::npos) << name << ": " << error;
  }
  EXPECT_EQ(call("sofmax(x)").error,
            "t.attn:6:14: error: unknown function 'sofmax'; did you mean 'softmax'?");
  EXPECT_EQ(call("layernrom(x, g, be)").error,
            "t.attn:6:14: error: unknown function 'layernrom'; did you mean 'layernorm'?");
  // Nothing near enough: no suggestion.
  EXPECT_EQ(call("frobnicate(x)").error, "t.attn:6:14: error: unknown function 'frobnicate'");
}

TEST(Builtins, KeywordValuesAreTyped) {
  Call c = call("softmax(x, axis = -1)");
  EXPECT_EQ(c.expr->kwargs[0].value->type.kind, ElemKind::Int);
  c = call("layernorm(x, g, be, eps = 1e-3)");
  EXPECT_EQ(c.expr->kwargs[0].value->type.kind, ElemKind::Float);
}

} // namespace
