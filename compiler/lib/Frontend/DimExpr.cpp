//===- DimExpr.cpp - Symbolic dimension arithmetic ------------------------===//
//
// The canonical form is a polynomial with int64 coefficients over atoms (dims
// and quotients that did not simplify). Two rules keep equal extents equal:
//  * a division that is exact as polynomials is carried out (`B*S*E / S` is
//    `B*E`, `(2*S + 4) / 2` is `S + 2`);
//  * a quotient multiplied by its own divisor cancels (`H * (E/H)` is `E`),
//    which is sound because every quotient is checked to divide exactly.
// A quotient that stays is reduced first: common constant and atom factors of
// numerator and divisor cancel and the divisor's leading coefficient is made
// positive.
//
// Every result is bounded in size (DimExpr::kMaxSize, counted with
// multiplicity) and quotient nesting (kMaxNesting), so the recursive walks
// here (printing, evaluation, comparison) stay cheap and shallow.
//
//===----------------------------------------------------------------------===//

#include "attnc/Frontend/DimExpr.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

namespace attnc {

namespace {

using Terms = std::map<DimExpr::Monomial, int64_t>;

bool addOverflows(int64_t a, int64_t b, int64_t &r) { return __builtin_add_overflow(a, b, &r); }
bool mulOverflows(int64_t a, int64_t b, int64_t &r) { return __builtin_mul_overflow(a, b, &r); }

/// Adds `c * m` to `terms`, dropping zero coefficients.
bool accumulate(Terms &terms, const DimExpr::Monomial &m, int64_t c) {
  if (c == 0)
    return true;
  auto it = terms.find(m);
  if (it == terms.end()) {
    terms.emplace(m, c);
    return true;
  }
  int64_t sum;
  if (addOverflows(it->second, c, sum))
    return false;
  if (sum == 0)
    terms.erase(it);
  else
    it->second = sum;
  return true;
}

DimExpr::Monomial mergeMonomials(const DimExpr::Monomial &a, const DimExpr::Monomial &b) {
  DimExpr::Monomial m;
  m.reserve(a.size() + b.size());
  std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(m));
  return m;
}

/// Removes the atoms of `d` from `m` (multiset difference); false if `d` is
/// not contained in `m`.
bool divideMonomial(const DimExpr::Monomial &m, const DimExpr::Monomial &d,
                    DimExpr::Monomial &out) {
  if (!std::includes(m.begin(), m.end(), d.begin(), d.end()))
    return false;
  out.clear();
  std::set_difference(m.begin(), m.end(), d.begin(), d.end(), std::back_inserter(out));
  return true;
}

/// A monomial order for polynomial division: total degree first, then the
/// map's own order. Graded orders are well-founded, so division terminates.
bool monomialLess(const DimExpr::Monomial &a, const DimExpr::Monomial &b) {
  if (a.size() != b.size())
    return a.size() < b.size();
  return a < b;
}

Terms::const_iterator leadingTerm(const Terms &t) {
  auto best = t.begin();
  for (auto it = t.begin(); it != t.end(); ++it)
    if (monomialLess(best->first, it->first))
      best = it;
  return best;
}

bool isQuotient(const DimAtom &a) { return a.dim < 0; }

int64_t gcd64(int64_t a, int64_t b) {
  // std::gcd of INT64_MIN is undefined; coefficients that large never share
  // a useful factor anyway, so treat them as coprime.
  if (a == INT64_MIN || b == INT64_MIN)
    return 1;
  return std::gcd(a, b);
}

} // namespace

//===----------------------------------------------------------------------===//
// DimAtom
//===----------------------------------------------------------------------===//

namespace {

int compareExprs(const DimExpr &a, const DimExpr &b);

/// Three-way comparisons, consistent with the map order of DimExpr::terms()
/// (what DimExpr::operator< uses). Each visits a pair of sub-expressions
/// once; a two-way `<` that recursed through `!=` and `<` would cost twice
/// as much per level of nested quotients.
int compareAtoms(const DimAtom &a, const DimAtom &b) {
  bool qa = isQuotient(a), qb = isQuotient(b);
  if (qa != qb)
    return qa ? 1 : -1; // dims sort before quotients
  if (!qa)
    return a.dim < b.dim ? -1 : a.dim > b.dim;
  if (a.num != b.num)
    if (int c = compareExprs(*a.num, *b.num))
      return c;
  return a.den == b.den ? 0 : compareExprs(*a.den, *b.den);
}

int compareMonomials(const DimExpr::Monomial &a, const DimExpr::Monomial &b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (int c = compareAtoms(a[i], b[i]))
      return c;
  return a.size() < b.size() ? -1 : a.size() > b.size();
}

int compareExprs(const DimExpr &a, const DimExpr &b) {
  auto ia = a.terms().begin(), ib = b.terms().begin();
  for (; ia != a.terms().end() && ib != b.terms().end(); ++ia, ++ib) {
    if (int c = compareMonomials(ia->first, ib->first))
      return c;
    if (ia->second != ib->second)
      return ia->second < ib->second ? -1 : 1;
  }
  if (ia == a.terms().end())
    return ib == b.terms().end() ? 0 : -1;
  return 1;
}

} // namespace

bool DimAtom::operator<(const DimAtom &o) const { return compareAtoms(*this, o) < 0; }

//===----------------------------------------------------------------------===//
// Construction and queries
//===----------------------------------------------------------------------===//

DimExpr DimExpr::constant(int64_t v) {
  DimExpr e;
  if (v != 0)
    e.terms_[{}] = v;
  return e;
}

DimExpr DimExpr::symbol(int dimIndex) {
  DimExpr e;
  DimAtom a;
  a.dim = dimIndex;
  e.terms_[{a}] = 1;
  return e;
}

bool DimExpr::isConstant() const {
  return terms_.empty() || (terms_.size() == 1 && terms_.begin()->first.empty());
}

std::optional<int64_t> DimExpr::getConstant() const {
  if (terms_.empty())
    return 0;
  if (isConstant())
    return terms_.begin()->second;
  return std::nullopt;
}

bool DimExpr::hasDivision() const {
  for (const auto &[m, c] : terms_)
    for (const DimAtom &a : m)
      if (isQuotient(a))
        return true;
  return false;
}

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

namespace {

using Failure = DimExpr::Failure;

std::optional<DimExpr> failWith(Failure f, Failure *why) {
  if (why)
    *why = f;
  return std::nullopt;
}

size_t degree(const Terms &t) {
  size_t d = 0;
  for (const auto &[m, c] : t)
    d = std::max(d, m.size());
  return d;
}

/// The size of `e` with multiplicity (terms and atoms, quotients' operands
/// included), or a value above `cap` as soon as it exceeds it. Every walk
/// over a dim expression costs at most its size, so bounding the size of
/// every result bounds them all.
size_t treeSize(const DimExpr &e, size_t cap) {
  size_t n = 0;
  for (const auto &[m, c] : e.terms()) {
    n += 1 + m.size();
    for (const DimAtom &a : m) {
      if (n > cap)
        return n;
      if (isQuotient(a)) {
        n += treeSize(*a.num, cap - n);
        if (n > cap)
          return n;
        n += treeSize(*a.den, cap - n);
      }
    }
    if (n > cap)
      return n;
  }
  return n;
}

/// How deeply quotients nest in `e` (0 without any).
size_t nesting(const DimExpr &e) {
  size_t d = 0;
  for (const auto &[m, c] : e.terms())
    for (const DimAtom &a : m)
      if (isQuotient(a))
        d = std::max(d, 1 + std::max(nesting(*a.num), nesting(*a.den)));
  return d;
}

} // namespace

size_t DimExpr::size() const { return treeSize(*this, SIZE_MAX); }

namespace {

std::optional<DimExpr> bounded(DimExpr r, Failure *why) {
  if (treeSize(r, DimExpr::kMaxSize) > DimExpr::kMaxSize)
    return failWith(Failure::TooComplex, why);
  return r;
}

/// Product without the quotient cancellation rule; the building block of
/// both `mul` and polynomial division.
std::optional<Terms> rawProduct(const Terms &a, const Terms &b) {
  Terms r;
  for (const auto &[ma, ca] : a)
    for (const auto &[mb, cb] : b) {
      int64_t c;
      if (mulOverflows(ca, cb, c) || !accumulate(r, mergeMonomials(ma, mb), c))
        return std::nullopt;
    }
  return r;
}

/// Exact polynomial division `a / b` in Z[atoms]; nullopt if `b` does not
/// divide `a` (or on overflow).
std::optional<Terms> exactQuotient(const Terms &a, const Terms &b) {
  if (b.empty())
    return std::nullopt;
  auto lead = leadingTerm(b);
  const DimExpr::Monomial &lm = lead->first;
  int64_t lc = lead->second;
  Terms q, r = a;
  // Each step removes the leading term of the remainder; the bounds only
  // guard against pathological inputs (giving up keeps a quotient atom).
  for (size_t steps = 0; !r.empty(); ++steps) {
    if (steps > DimExpr::kMaxTerms || r.size() > 4 * DimExpr::kMaxTerms)
      return std::nullopt;
    auto rl = leadingTerm(r);
    DimExpr::Monomial qm;
    // INT64_MIN % -1 traps, so test that case first.
    if (!divideMonomial(rl->first, lm, qm) || (rl->second == INT64_MIN && lc == -1) ||
        rl->second % lc != 0)
      return std::nullopt;
    int64_t qc = rl->second / lc;
    if (!accumulate(q, qm, qc))
      return std::nullopt;
    Terms t{{qm, qc}};
    auto tb = rawProduct(t, b);
    if (!tb)
      return std::nullopt;
    for (const auto &[m, c] : *tb)
      if (c == INT64_MIN || !accumulate(r, m, -c))
        return std::nullopt;
  }
  return q;
}

} // namespace

std::optional<DimExpr> DimExpr::add(const DimExpr &a, const DimExpr &b, Failure *why) {
  if (a.terms_.size() + b.terms_.size() > kMaxTerms)
    return failWith(Failure::TooComplex, why);
  DimExpr r = a;
  for (const auto &[m, c] : b.terms_)
    if (!accumulate(r.terms_, m, c))
      return failWith(Failure::Overflow, why);
  return bounded(std::move(r), why);
}

std::optional<DimExpr> DimExpr::sub(const DimExpr &a, const DimExpr &b, Failure *why) {
  if (a.terms_.size() + b.terms_.size() > kMaxTerms)
    return failWith(Failure::TooComplex, why);
  DimExpr r = a;
  for (const auto &[m, c] : b.terms_)
    if (c == INT64_MIN || !accumulate(r.terms_, m, -c))
      return failWith(Failure::Overflow, why);
  return bounded(std::move(r), why);
}

std::optional<DimExpr> DimExpr::mul(const DimExpr &a, const DimExpr &b, Failure *why) {
  if (a.terms_.size() * b.terms_.size() > kMaxTerms ||
      degree(a.terms_) + degree(b.terms_) > kMaxDegree)
    return failWith(Failure::TooComplex, why);
  auto raw = rawProduct(a.terms_, b.terms_);
  if (!raw)
    return failWith(Failure::Overflow, why);
  DimExpr r;
  for (const auto &[m, c] : *raw) {
    // Cancel a quotient against the rest of its term when the divisor
    // divides that rest: c * M * (n/d) with d | c*M is n * (c*M/d).
    bool cancelled = false;
    for (size_t k = 0; k < m.size() && !cancelled; ++k) {
      if (!isQuotient(m[k]))
        continue;
      Monomial rest = m;
      rest.erase(rest.begin() + k);
      auto q = exactQuotient(Terms{{rest, c}}, m[k].den->terms_);
      if (!q)
        continue;
      DimExpr qe;
      qe.terms_ = std::move(*q);
      auto term = mul(*m[k].num, qe, why);
      if (!term)
        return std::nullopt;
      auto sum = add(r, *term, why);
      if (!sum)
        return std::nullopt;
      r = std::move(*sum);
      cancelled = true;
    }
    if (!cancelled && !accumulate(r.terms_, m, c))
      return failWith(Failure::Overflow, why);
  }
  return bounded(std::move(r), why);
}

std::optional<DimExpr> DimExpr::div(const DimExpr &a, const DimExpr &b, Failure *why) {
  auto bc = b.getConstant();
  if (bc && *bc == 0)
    return failWith(Failure::DivisionByZero, why);
  if (a.terms_.empty())
    return DimExpr();
  auto ac = a.getConstant();
  if (ac && bc) {
    // INT64_MIN % -1 traps, so test that case first.
    if (*ac == INT64_MIN && *bc == -1)
      return failWith(Failure::Overflow, why);
    if (*ac % *bc != 0)
      return failWith(Failure::NotExact, why);
    return constant(*ac / *bc);
  }
  if (auto q = exactQuotient(a.terms_, b.terms_)) {
    DimExpr r;
    r.terms_ = std::move(*q);
    return bounded(std::move(r), why);
  }

  // Keep an irreducible quotient, reduced by the common constant and atom
  // factors of numerator and divisor, with a positive leading divisor.
  Terms num = a.terms_, den = b.terms_;
  int64_t g = 0;
  Monomial common;
  bool first = true;
  for (const Terms *t : {&num, &den})
    for (const auto &[m, c] : *t) {
      g = g == 0 ? std::llabs(c == INT64_MIN ? 1 : c) : gcd64(g, c);
      if (first) {
        common = m;
        first = false;
      } else {
        Monomial both;
        std::set_intersection(common.begin(), common.end(), m.begin(), m.end(),
                              std::back_inserter(both));
        common = std::move(both);
      }
    }
  if (g < 1)
    g = 1;
  int64_t sign = leadingTerm(den)->second < 0 ? -1 : 1;
  for (const Terms *t : {&num, &den})
    for (const auto &[m, c] : *t)
      if (sign < 0 && c == INT64_MIN)
        return failWith(Failure::Overflow, why);
  auto reduce = [&](Terms &t) {
    Terms out;
    for (const auto &[m, c] : t) {
      Monomial rest;
      divideMonomial(m, common, rest);
      out.emplace(std::move(rest), c / g * sign);
    }
    t = std::move(out);
  };
  reduce(num);
  reduce(den);

  DimExpr n, d;
  n.terms_ = std::move(num);
  d.terms_ = std::move(den);
  // Cancelling common factors may leave two constants (`6*S / (4*S)` is
  // 3 / 2): a division of constants, an error unless it is exact.
  if (n.isConstant() && d.isConstant())
    return div(n, d, why);
  if (d.getConstant() == 1)
    return bounded(std::move(n), why);
  if (1 + std::max(nesting(n), nesting(d)) > kMaxNesting)
    return failWith(Failure::TooComplex, why);
  DimAtom atom;
  atom.num = std::make_shared<const DimExpr>(std::move(n));
  atom.den = std::make_shared<const DimExpr>(std::move(d));
  DimExpr r;
  r.terms_[{atom}] = 1;
  return bounded(std::move(r), why);
}

//===----------------------------------------------------------------------===//
// Evaluation, printing, RPN
//===----------------------------------------------------------------------===//

bool DimExpr::evaluate(const std::vector<int64_t> &dimValues, int64_t &result) const {
  int64_t total = 0;
  for (const auto &[m, c] : terms_) {
    int64_t v = c;
    for (const DimAtom &a : m) {
      int64_t av;
      if (!isQuotient(a)) {
        if (a.dim >= (int)dimValues.size())
          return false;
        av = dimValues[a.dim];
      } else {
        int64_t n, d;
        if (!a.num->evaluate(dimValues, n) || !a.den->evaluate(dimValues, d) || d == 0 ||
            (n == INT64_MIN && d == -1) || n % d != 0)
          return false;
        av = n / d;
      }
      if (mulOverflows(v, av, v))
        return false;
    }
    if (addOverflows(total, v, total))
      return false;
  }
  result = total;
  return true;
}

namespace {

std::string dimName(int dim, const std::vector<std::string> &names) {
  if (dim >= 0 && dim < (int)names.size())
    return names[dim];
  return "d" + std::to_string(dim);
}

/// Terms in print order: higher degree first, the constant last, otherwise
/// the map's order (ties keep it: a monomial of one degree sorts by atoms).
std::vector<std::pair<const DimExpr::Monomial *, int64_t>> printOrder(const Terms &t) {
  std::vector<std::pair<const DimExpr::Monomial *, int64_t>> v;
  for (const auto &[m, c] : t)
    v.push_back({&m, c});
  std::sort(v.begin(), v.end(), [](const auto &a, const auto &b) {
    if (a.first->size() != b.first->size())
      return a.first->size() > b.first->size();
    return *a.first < *b.first;
  });
  return v;
}

bool isSingleFactor(const DimExpr &e) {
  const auto &t = e.terms();
  return t.size() == 1 && t.begin()->second == 1 && t.begin()->first.size() == 1 &&
         !isQuotient(t.begin()->first[0]);
}

} // namespace

std::string DimExpr::str(const std::vector<std::string> &dimNames) const {
  if (terms_.empty())
    return "0";
  std::string out;
  bool first = true;
  for (auto [mp, c] : printOrder(terms_)) {
    const Monomial &m = *mp;
    bool negative = c < 0;
    // Print the magnitude as unsigned so INT64_MIN stays correct.
    uint64_t mag = negative ? 0 - (uint64_t)c : (uint64_t)c;
    if (first)
      out += negative ? "-" : "";
    else
      out += negative ? " - " : " + ";
    first = false;
    bool needStar = false;
    if (mag != 1 || m.empty()) {
      out += std::to_string(mag);
      needStar = true;
    }
    bool alone = m.size() == 1 && mag == 1;
    for (const DimAtom &a : m) {
      if (needStar)
        out += "*";
      needStar = true;
      if (!isQuotient(a)) {
        out += dimName(a.dim, dimNames);
        continue;
      }
      const auto &nt = a.num->terms();
      std::string n = a.num->str(dimNames), d = a.den->str(dimNames);
      if (nt.size() > 1 || (nt.size() == 1 && nt.begin()->second < 0) || a.num->hasDivision())
        n = "(" + n + ")";
      if (!a.den->isConstant() && !isSingleFactor(*a.den))
        d = "(" + d + ")";
      out += alone ? n + "/" + d : "(" + n + "/" + d + ")";
    }
  }
  return out;
}

void DimExpr::appendRPN(std::vector<int64_t> &out) const {
  // Positive terms first, then the negative ones subtracted, so that the
  // running value of an extent never goes below zero along the way.
  auto emitProduct = [&](const Monomial &m, uint64_t mag) {
    bool started = false;
    for (const DimAtom &a : m) {
      if (!isQuotient(a)) {
        out.push_back(kDim);
        out.push_back(a.dim);
      } else {
        a.num->appendRPN(out);
        a.den->appendRPN(out);
        out.push_back(kDiv);
      }
      if (started)
        out.push_back(kMul);
      started = true;
    }
    if (mag != 1 || !started) {
      out.push_back(kConst);
      out.push_back((int64_t)mag);
      if (started)
        out.push_back(kMul);
    }
  };
  bool any = false;
  for (const auto &[m, c] : terms_) {
    if (c <= 0)
      continue;
    emitProduct(m, (uint64_t)c);
    if (any)
      out.push_back(kAdd);
    any = true;
  }
  if (!any) {
    out.push_back(kConst);
    out.push_back(0);
  }
  for (const auto &[m, c] : terms_) {
    if (c >= 0)
      continue;
    if (c == INT64_MIN) {
      // |c| does not fit: add c times the product instead.
      emitProduct(m, 1);
      out.push_back(kConst);
      out.push_back(INT64_MIN);
      out.push_back(kMul);
      out.push_back(kAdd);
      continue;
    }
    emitProduct(m, (uint64_t)-c);
    out.push_back(kSub);
  }
}

} // namespace attnc
