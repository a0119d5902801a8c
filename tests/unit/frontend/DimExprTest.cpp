//===- DimExprTest.cpp - Canonical dim arithmetic -------------------------===//

#include "attnc/Frontend/DimExpr.h"

#include <gtest/gtest.h>

#include <climits>
#include <random>

using attnc::DimExpr;

namespace {

const std::vector<std::string> kNames = {"B", "S", "E", "H", "T"};
enum { B, S, E, H, T };

DimExpr c(int64_t v) { return DimExpr::constant(v); }
DimExpr d(int i) { return DimExpr::symbol(i); }
DimExpr add(const DimExpr &a, const DimExpr &b) { return *DimExpr::add(a, b); }
DimExpr sub(const DimExpr &a, const DimExpr &b) { return *DimExpr::sub(a, b); }
DimExpr mul(const DimExpr &a, const DimExpr &b) { return *DimExpr::mul(a, b); }
DimExpr div(const DimExpr &a, const DimExpr &b) { return *DimExpr::div(a, b); }
std::string str(const DimExpr &e) { return e.str(kNames); }

/// Evaluates the reverse-Polish form the way the runtime does.
bool evalRPN(const std::vector<int64_t> &rpn, const std::vector<int64_t> &dims, int64_t &out) {
  std::vector<int64_t> stack;
  for (size_t i = 0; i < rpn.size(); ++i) {
    int64_t tok = rpn[i];
    if (tok == DimExpr::kConst) {
      stack.push_back(rpn[++i]);
      continue;
    }
    if (tok == DimExpr::kDim) {
      stack.push_back(dims.at(rpn[++i]));
      continue;
    }
    if (stack.size() < 2)
      return false;
    int64_t b = stack.back();
    stack.pop_back();
    int64_t a = stack.back(), r = 0;
    switch (tok) {
    case DimExpr::kAdd:
      if (__builtin_add_overflow(a, b, &r)) return false;
      break;
    case DimExpr::kSub:
      if (__builtin_sub_overflow(a, b, &r)) return false;
      break;
    case DimExpr::kMul:
      if (__builtin_mul_overflow(a, b, &r)) return false;
      break;
    case DimExpr::kDiv:
      if (b == 0 || a % b != 0) return false;
      r = a / b;
      break;
    default:
      return false;
    }
    stack.back() = r;
  }
  if (stack.size() != 1)
    return false;
  out = stack[0];
  return true;
}

TEST(DimExpr, ConstantsAndSymbols) {
  EXPECT_EQ(DimExpr(), c(0));
  EXPECT_TRUE(c(0).isConstant());
  EXPECT_EQ(c(7).getConstant(), 7);
  EXPECT_EQ(c(0).getConstant(), 0);
  EXPECT_FALSE(d(S).isConstant());
  EXPECT_EQ(d(S).getConstant(), std::nullopt);
  EXPECT_NE(d(S), d(T));
  EXPECT_FALSE(d(S).hasDivision());
}

TEST(DimExpr, SumsAndProductsAreCanonical) {
  EXPECT_EQ(add(d(S), d(S)), mul(c(2), d(S)));
  EXPECT_EQ(sub(add(d(S), d(T)), d(T)), d(S));
  EXPECT_EQ(sub(d(S), d(S)), c(0));
  EXPECT_EQ(mul(d(B), d(S)), mul(d(S), d(B)));
  EXPECT_EQ(mul(add(d(S), c(1)), sub(d(S), c(1))), sub(mul(d(S), d(S)), c(1)));
  EXPECT_EQ(mul(c(0), d(S)), c(0));
  EXPECT_EQ(add(mul(c(3), d(S)), mul(c(-3), d(S))), c(0));
}

TEST(DimExpr, ExactDivisionSimplifies) {
  EXPECT_EQ(div(add(mul(c(2), d(S)), c(4)), c(2)), add(d(S), c(2)));
  EXPECT_EQ(div(mul(mul(d(B), d(S)), d(E)), d(S)), mul(d(B), d(E)));
  EXPECT_EQ(div(sub(mul(d(S), d(S)), c(1)), sub(d(S), c(1))), add(d(S), c(1)));
  EXPECT_EQ(div(d(S), d(S)), c(1));
  EXPECT_EQ(div(c(96), c(8)), c(12));
  EXPECT_EQ(div(c(-6), c(3)), c(-2));
  EXPECT_EQ(div(c(0), d(S)), c(0));
  EXPECT_FALSE(div(mul(c(4), d(S)), c(2)).hasDivision());
}

TEST(DimExpr, QuotientAtoms) {
  DimExpr eh = div(d(E), d(H));
  EXPECT_TRUE(eh.hasDivision());
  EXPECT_EQ(str(eh), "E/H");
  // A quotient times its divisor cancels (it is checked to be exact).
  EXPECT_EQ(mul(d(H), eh), d(E));
  EXPECT_EQ(mul(c(2), div(d(S), c(2))), d(S));
  EXPECT_EQ(mul(c(4), div(d(S), c(2))), mul(c(2), d(S)));
  // Common factors of numerator and divisor cancel.
  EXPECT_EQ(div(add(mul(c(4), d(S)), c(2)), c(4)), div(add(mul(c(2), d(S)), c(1)), c(2)));
  EXPECT_EQ(div(mul(d(S), d(T)), mul(c(2), d(S))), div(d(T), c(2)));
  // The divisor's sign is normalised.
  EXPECT_EQ(div(d(S), c(-2)), div(mul(c(-1), d(S)), c(2)));
  // Two spellings of the same quotient are equal.
  EXPECT_EQ(div(d(E), d(H)), div(mul(c(3), d(E)), mul(c(3), d(H))));
  EXPECT_NE(div(d(E), d(H)), div(d(H), d(E)));
}

TEST(DimExpr, FailuresReturnNullopt) {
  EXPECT_FALSE(DimExpr::div(c(100), c(8)));
  EXPECT_FALSE(DimExpr::div(d(S), c(0)));
  EXPECT_FALSE(DimExpr::div(c(INT64_MIN), c(-1)));
  EXPECT_FALSE(DimExpr::add(c(INT64_MAX), c(1)));
  EXPECT_FALSE(DimExpr::sub(c(INT64_MIN), c(1)));
  EXPECT_FALSE(DimExpr::sub(c(0), c(INT64_MIN)));
  EXPECT_FALSE(DimExpr::mul(c(INT64_MAX / 2 + 1), c(2)));
  EXPECT_FALSE(DimExpr::mul(mul(c(1LL << 40), d(S)), c(1LL << 40)));
  EXPECT_TRUE(DimExpr::mul(c(1LL << 31), c(1LL << 31)));
}

TEST(DimExpr, FailureReasons) {
  DimExpr::Failure why = DimExpr::Failure::TooComplex;
  EXPECT_FALSE(DimExpr::div(c(100), c(8), &why));
  EXPECT_EQ(why, DimExpr::Failure::NotExact);
  EXPECT_FALSE(DimExpr::div(d(S), c(0), &why));
  EXPECT_EQ(why, DimExpr::Failure::DivisionByZero);
  EXPECT_FALSE(DimExpr::add(c(INT64_MAX), c(1), &why));
  EXPECT_EQ(why, DimExpr::Failure::Overflow);
  EXPECT_FALSE(DimExpr::div(c(INT64_MIN), c(-1), &why));
  EXPECT_EQ(why, DimExpr::Failure::Overflow);
}

TEST(DimExpr, CommonFactorsLeavingConstants) {
  // 6*S / (4*S) cancels to 3 / 2: a division of constants, not a quotient
  // atom with constant operands that could never divide at run time.
  DimExpr::Failure why = DimExpr::Failure::Overflow;
  EXPECT_FALSE(DimExpr::div(mul(c(6), d(S)), mul(c(4), d(S)), &why));
  EXPECT_EQ(why, DimExpr::Failure::NotExact);
  EXPECT_EQ(str(div(mul(c(8), mul(d(S), d(T))), mul(c(4), mul(d(T), d(S))))), "2");
}

TEST(DimExpr, Size) {
  EXPECT_EQ(c(0).size(), 0u);
  EXPECT_EQ(c(7).size(), 1u);
  EXPECT_EQ(d(S).size(), 2u);                        // one term, one atom
  EXPECT_EQ(add(mul(d(B), d(S)), c(2)).size(), 4u);  // B*S + 2
  EXPECT_EQ(div(d(E), d(H)).size(), 6u);             // (E/H): term, atom, E, H
}

TEST(DimExpr, SizeLimits) {
  DimExpr::Failure why = DimExpr::Failure::Overflow;
  DimExpr sum;
  for (int i = 0; i < 20; ++i)
    sum = add(sum, DimExpr::symbol(i));
  // 20 x 20 pairs of terms exceed kMaxTerms = 256.
  EXPECT_FALSE(DimExpr::mul(sum, sum, &why));
  EXPECT_EQ(why, DimExpr::Failure::TooComplex);
  DimExpr power = c(1);
  for (size_t i = 0; i < DimExpr::kMaxDegree; ++i)
    power = mul(power, d(S));
  why = DimExpr::Failure::Overflow;
  EXPECT_FALSE(DimExpr::mul(power, d(S), &why));
  EXPECT_EQ(why, DimExpr::Failure::TooComplex);
  EXPECT_TRUE(DimExpr::mul(power, c(2)));
}

TEST(DimExpr, NestingLimit) {
  // Each division by 2 of a quotient nests one level deeper.
  DimExpr e = d(E);
  for (size_t i = 0; i < DimExpr::kMaxNesting; ++i)
    e = div(e, c(2));
  EXPECT_EQ(str(div(div(d(E), c(2)), c(2))), "(E/2)/2");
  DimExpr::Failure why = DimExpr::Failure::Overflow;
  EXPECT_FALSE(DimExpr::div(e, c(2), &why));
  EXPECT_EQ(why, DimExpr::Failure::TooComplex);
  int64_t r = 0;
  std::vector<int64_t> v = {1, 1, int64_t(1) << 16, 1, 1};
  ASSERT_TRUE(e.evaluate(v, r));
  EXPECT_EQ(r, 1);
}

TEST(DimExpr, SizeIsBoundedWithSharing) {
  // Quotients that share operands would make naive walks exponential; the
  // size bound (counted with multiplicity) rejects such towers early.
  DimExpr e = d(S);
  bool rejected = false;
  for (int i = 0; i < 40 && !rejected; ++i) {
    auto n = DimExpr::add(e, d(T));
    auto m = n ? DimExpr::add(e, d(H)) : std::nullopt;
    auto q = m ? DimExpr::div(*n, *m) : std::nullopt;
    auto next = q ? DimExpr::mul(*q, *q) : std::nullopt;
    if (!next)
      rejected = true;
    else
      e = *next;
  }
  EXPECT_TRUE(rejected);
}

TEST(DimExpr, Evaluate) {
  std::vector<int64_t> v = {2, 10, 512, 8, 7}; // B S E H T
  int64_t r = 0;
  ASSERT_TRUE(add(mul(d(B), d(S)), c(2)).evaluate(v, r));
  EXPECT_EQ(r, 22);
  ASSERT_TRUE(div(d(E), d(H)).evaluate(v, r));
  EXPECT_EQ(r, 64);
  ASSERT_TRUE(mul(d(B), div(d(E), d(H))).evaluate(v, r));
  EXPECT_EQ(r, 128);
  EXPECT_FALSE(div(d(E), d(T)).evaluate(v, r)); // 512 / 7
  std::vector<int64_t> zero = {2, 10, 512, 0, 7};
  EXPECT_FALSE(div(d(E), d(H)).evaluate(zero, r));
  std::vector<int64_t> huge = {INT64_MAX / 2, 3, 1, 1, 1};
  EXPECT_FALSE(mul(d(B), d(S)).evaluate(huge, r));
  EXPECT_FALSE(d(7).evaluate(v, r)); // no value for dim 7
}

TEST(DimExpr, Printing) {
  EXPECT_EQ(str(c(0)), "0");
  EXPECT_EQ(str(c(-5)), "-5");
  EXPECT_EQ(str(add(mul(d(B), d(S)), c(2))), "B*S + 2");
  EXPECT_EQ(str(sub(c(2), d(S))), "-S + 2");
  EXPECT_EQ(str(sub(mul(c(3), d(S)), d(T))), "3*S - T");
  EXPECT_EQ(str(mul(d(S), d(S))), "S*S");
  EXPECT_EQ(str(mul(d(B), div(d(E), d(H)))), "B*(E/H)");
  EXPECT_EQ(str(div(add(d(S), c(1)), c(2))), "(S + 1)/2");
  EXPECT_EQ(str(div(d(S), mul(c(2), d(H)))), "S/(2*H)");
  EXPECT_EQ(DimExpr::symbol(9).str(kNames), "d9");
}

TEST(DimExpr, ReversePolishMatchesEvaluate) {
  std::vector<int64_t> rpn;
  add(mul(d(B), d(S)), c(2)).appendRPN(rpn);
  EXPECT_EQ(rpn, (std::vector<int64_t>{0, 2, 1, B, 1, S, 4, 2}));
  rpn.clear();
  sub(d(S), c(1)).appendRPN(rpn);
  EXPECT_EQ(rpn, (std::vector<int64_t>{1, S, 0, 1, 3}));
  rpn.clear();
  c(0).appendRPN(rpn);
  EXPECT_EQ(rpn, (std::vector<int64_t>{0, 0}));

  std::vector<DimExpr> exprs = {
      c(7),
      sub(c(1), d(S)),
      add(mul(c(3), mul(d(B), d(S))), sub(d(T), c(4))),
      mul(d(B), div(d(E), d(H))),
      div(add(d(S), c(1)), c(2)),
      sub(mul(d(S), d(S)), mul(c(5), d(T))),
      div(mul(d(S), d(T)), add(d(H), c(1))),
      add(c(INT64_MIN), mul(c(2), d(S))),
  };
  std::mt19937_64 rng(42);
  for (const DimExpr &e : exprs) {
    std::vector<int64_t> tokens;
    e.appendRPN(tokens);
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<int64_t> v(5);
      for (auto &x : v)
        x = 1 + rng() % 40;
      int64_t a = 0, b = 0;
      bool okA = e.evaluate(v, a), okB = evalRPN(tokens, v, b);
      EXPECT_EQ(okA, okB) << str(e);
      if (okA && okB) {
        EXPECT_EQ(a, b) << str(e);
      }
    }
  }
}

TEST(DimExpr, AtomOrder) {
  attnc::DimAtom dimAtom;
  dimAtom.dim = 3;
  attnc::DimAtom quotient;
  quotient.num = std::make_shared<const DimExpr>(d(E));
  quotient.den = std::make_shared<const DimExpr>(d(H));
  EXPECT_TRUE(dimAtom < quotient);
  EXPECT_FALSE(quotient < dimAtom);
  EXPECT_TRUE(quotient == quotient);
}

} // namespace
