//===- DimExpr.h - Symbolic dimension arithmetic ----------------*- C++ -*-===//
//
// A dim expression is an integer expression over the model's symbolic dims:
// integers, dim names and `+ - * /` (`/` is exact division). It is kept in a
// canonical form, a polynomial whose atoms are symbolic dims or quotients that
// could not be simplified, so that two spellings of the same extent compare
// equal (`2*S` and `S+S`). Fixed dims are substituted by their values.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_FRONTEND_DIMEXPR_H
#define ATTNC_FRONTEND_DIMEXPR_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnc {

class DimExpr;

/// A factor of a monomial: a symbolic dim (by index into the model's dims) or
/// an exact quotient `num / den` that did not simplify.
struct DimAtom {
  int dim = -1;                          // >= 0: a symbolic dim
  std::shared_ptr<const DimExpr> num;    // otherwise: num / den
  std::shared_ptr<const DimExpr> den;
  bool operator<(const DimAtom &o) const;
  bool operator==(const DimAtom &o) const { return !(*this < o) && !(o < *this); }
};

class DimExpr {
public:
  /// A monomial is a sorted list of atoms (repeats for powers).
  using Monomial = std::vector<DimAtom>;

  DimExpr() = default;                   // the constant 0
  static DimExpr constant(int64_t v);
  static DimExpr symbol(int dimIndex);

  /// (Added.) Why an arithmetic call returned std::nullopt.
  enum class Failure {
    Overflow,       // a constant coefficient overflows 64 bits
    NotExact,       // a division of constants that is not exact
    DivisionByZero, // a division by the constant 0
    TooComplex,     // the result would exceed the limits below
  };

  /// Arithmetic. Each returns std::nullopt on 64-bit overflow of a constant
  /// coefficient; `div` also when a constant division is not exact or by 0.
  /// (Added:) also when the result would exceed the limits below; `why`, if
  /// given, receives the reason.
  static std::optional<DimExpr> add(const DimExpr &a, const DimExpr &b, Failure *why = nullptr);
  static std::optional<DimExpr> sub(const DimExpr &a, const DimExpr &b, Failure *why = nullptr);
  static std::optional<DimExpr> mul(const DimExpr &a, const DimExpr &b, Failure *why = nullptr);
  static std::optional<DimExpr> div(const DimExpr &a, const DimExpr &b, Failure *why = nullptr);

  /// (Added.) Bounds that keep dim arithmetic, and every recursive walk over a
  /// dim expression, cheap whatever the input. Realistic extents are far
  /// below them. add/sub: at most kMaxTerms terms in the operands together;
  /// mul: at most kMaxTerms pairs of terms and kMaxDegree atoms per product
  /// of monomials; every result: at most kMaxSize terms and atoms, counted
  /// inside quotients too, and quotients nested at most kMaxNesting deep.
  static constexpr size_t kMaxTerms = 256;
  static constexpr size_t kMaxDegree = 64;
  static constexpr size_t kMaxSize = 4096;
  static constexpr size_t kMaxNesting = 16;

  /// The number of terms and atoms, quotients' operands included: what
  /// kMaxSize bounds, and what a walk over the expression costs.
  size_t size() const;

  bool isConstant() const;
  std::optional<int64_t> getConstant() const;
  /// True when the expression contains a quotient atom, i.e. it implies a
  /// run-time divisibility check.
  bool hasDivision() const;

  /// Evaluates with the given values for the model's dims. Returns false on
  /// overflow, division by zero or inexact division.
  bool evaluate(const std::vector<int64_t> &dimValues, int64_t &result) const;

  /// Prints with dim names, e.g. `B*S + 2`, `E/H`.
  std::string str(const std::vector<std::string> &dimNames) const;

  /// Reverse-Polish form (see docs/internals/abi.md): a token list of
  /// {kConst, v} {kDim, i} {kAdd} {kSub} {kMul} {kDiv}.
  enum Token : int64_t { kConst = 0, kDim = 1, kAdd = 2, kSub = 3, kMul = 4, kDiv = 5 };
  void appendRPN(std::vector<int64_t> &out) const;

  /// Visits the canonical form: sum over terms of coeff * product(atoms).
  const std::map<Monomial, int64_t> &terms() const { return terms_; }

  bool operator==(const DimExpr &o) const { return terms_ == o.terms_; }
  bool operator!=(const DimExpr &o) const { return !(*this == o); }
  bool operator<(const DimExpr &o) const { return terms_ < o.terms_; }

private:
  std::map<Monomial, int64_t> terms_;    // no zero coefficients
};

using Shape = std::vector<DimExpr>;

} // namespace attnc

#endif
