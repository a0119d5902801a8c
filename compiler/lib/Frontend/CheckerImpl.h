//===- CheckerImpl.h - The checker's state, shared by its files -*- C++ -*-===//
//
// Private to the frontend. One ModelChecker checks one model; its methods
// are split by topic: Checker.cpp (declarations, names, index variables, dim
// expressions), CheckExpr.cpp (operators, subscripts, reductions),
// CheckBuiltins.cpp (built-in calls) and CheckSchedule.cpp (schedule values).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_LIB_FRONTEND_CHECKERIMPL_H
#define ATTNC_LIB_FRONTEND_CHECKERIMPL_H

#include "TypeRules.h"

#include "attnc/Frontend/AST.h"
#include "attnc/Frontend/Diagnostics.h"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnc {

/// The outcome of checking an expression; `weak` as in typerules::Elem.
struct Checked {
  bool ok = false;
  bool weak = false;
};

/// What is known of a dim expression's sign for every value of the dims.
enum class DimSign { NonNegative, NonPositive, Unknown };
/// The sign of `e`; `constant` receives its constant term.
DimSign signOf(const DimExpr &e, int64_t &constant);

/// What the models of a file have used so far of the file-wide limits
/// kMaxCheckedAxes and kMaxCheckedDimSize.
struct FileBudget {
  size_t axes = 0;
  size_t dimSize = 0;
};

class ModelChecker {
public:
  ModelChecker(ast::Model &model, Diagnostics &diag, FileBudget &budget);
  bool run();

private:
  using Elem = typerules::Elem;

  // Declarations and names (Checker.cpp) ---------------------------------------
  struct Symbol {
    ast::RefKind kind; // Dim or Decl
    int id;
  };
  bool checkDecl(int id);
  bool checkComprehension(ast::Decl &d, bool &weak);
  bool checkUndefined(const std::string &name, ast::Loc loc);
  std::string symbolKind(const Symbol &s) const;
  /// The names a misspelt one may have meant: the model's dims and
  /// declarations (only its dims when `dimsOnly`), and the index variables in
  /// scope.
  std::vector<std::string> knownNames(bool dimsOnly = false) const;
  ast::Loc symbolLoc(const Symbol &s) const;

  // Index variables (Checker.cpp) ----------------------------------------------
  /// Brings `ids` into scope, checking names and explicit extents;
  /// `defining` is the comprehension being defined, if any.
  bool bindIndices(const std::vector<int> &ids, const ast::Decl *defining);
  void unbindIndices(const std::vector<int> &ids);
  /// Every index of `ids` must have an extent after its body is checked.
  bool finishIndices(const std::vector<int> &ids, const ast::Decl *defining);
  /// A plain use `base[..., i, ...]` gives index `id` the extent of that axis.
  bool recordPlainUse(int id, const DimExpr &extent, ast::Loc loc, const std::string &what);

  // Dim expressions (Checker.cpp) ----------------------------------------------
  std::optional<DimExpr> dimExpr(ast::Expr &e);
  bool checkExtent(const DimExpr &extent, const ast::Expr &written);
  void noteDivisions(const DimExpr &e);
  void noteDivisions(const Shape &s);
  /// `e >= 0` must hold at run time: a negative constant is an error at
  /// `loc` (`message` gets its value); a symbolic `e` that may be negative
  /// becomes a shape check.
  bool requireNonNegative(const DimExpr &e, ast::Loc loc,
                          const std::function<std::string(int64_t)> &message);
  /// `dim S <= BOUND`: S may not exceed the bound (the dim is `d`).
  bool checkDimBound(ast::DimDecl &d, int id);
  /// Reports failed dim arithmetic: overflow or too complex.
  bool dimFailure(ast::Loc loc, DimExpr::Failure why);
  /// Counts the axes of a checked type against kMaxCheckedAxes and the
  /// size of its extents against kMaxCheckedDimSize.
  bool chargeType(const ast::ValueType &t, ast::Loc loc);
  /// Counts the size of a computed dim expression against kMaxCheckedDimSize.
  bool chargeDimSize(const DimExpr &e, ast::Loc loc);
  /// A tensor's size in bytes must fit in int64 (the compiled code computes
  /// it in f32, i32 or bytes for booleans): the product of its fixed
  /// extents is checked here; with symbolic ones, the runtime checks the
  /// rest. `name` is the declaration's, or empty for a sub-expression.
  bool checkSize(const ast::ValueType &t, ast::Loc loc, const std::string &name);

  // Schedule directives (CheckSchedule.cpp) ------------------------------------
  bool checkDirective(const ast::ScheduleDirective &d);
  bool checkScheduleValue(std::string_view key, int64_t value, ast::Loc loc);

  // Expressions (CheckExpr.cpp) ------------------------------------------------
  Checked expr(ast::Expr &e);
  Checked checkNumber(ast::Expr &e);
  Checked checkName(ast::Expr &e);
  Checked checkUnary(ast::Expr &e);
  Checked checkBinary(ast::Expr &e);
  Checked checkMatMul(ast::Expr &e, const Checked &a, const Checked &b);
  Checked checkTranspose(ast::Expr &e);
  Checked checkSubscript(ast::Expr &e);
  /// `x[a:b, k, ...]`: one SliceAxis per axis of the base, every bound
  /// inside it (checked now when constant, else at run time).
  Checked checkSlice(ast::Expr &e);
  /// The SliceAxes of slice `e` whose base has been checked (`cb`).
  Checked sliceAxes(ast::Expr &e, const Checked &cb);
  bool checkSliceItem(ast::SliceItem &item, const DimExpr &extent, const std::string &axisText,
                      ast::SliceAxis &out);
  Checked checkReduce(ast::Expr &e);

  // Built-in calls (CheckBuiltins.cpp) -----------------------------------------
  struct Signature;
  Checked checkCall(ast::Expr &e);
  bool bindArguments(ast::Expr &call, const Signature &sig,
                     std::vector<ast::Expr *> &keywordValues);
  Checked checkElementwise(ast::Expr &e, ast::Builtin b);
  Checked checkMinMax(ast::Expr &e, ast::Builtin b);
  Checked checkWhere(ast::Expr &e);
  /// clamp(x, lo, hi): min(max(x, lo), hi), promoted and broadcast.
  Checked checkClamp(ast::Expr &e);
  /// stack(a, b, ..., axis = 0): equal shapes, a new axis of their count.
  Checked checkStack(ast::Expr &e);
  /// Checks every operand of call `e` in order into `c`; false at the first
  /// that fails.
  bool checkOperands(ast::Expr &e, std::vector<Checked> &c);
  /// Broadcasts the three operands of `e` jointly into `shape`; `roles` name
  /// them in messages.
  bool broadcastThree(ast::Expr &e, const char *const roles[3], Shape &shape);
  /// Checks a call's first operand, the tensor it works on: a number (when
  /// `number`) of rank at least `minRank`; errors name the call.
  Checked checkInput(ast::Expr &e, bool number, unsigned minRank,
                     const std::string &role = "its input");
  Checked checkSoftmax(ast::Expr &e);
  /// sum, max, min, mean over axes (or logsumexp), keeping them with
  /// keepdim = true.
  Checked checkReduceAxis(ast::Expr &e, ast::ReduceKind kind, bool logSumExp = false);
  Checked checkNorm(ast::Expr &e, ast::Builtin b);
  /// argmax/argmin(x, axis = k, keepdim): the first position of the
  /// extreme along one axis (of every axis, flattened, without one).
  Checked checkArgReduce(ast::Expr &e, ast::Builtin b);
  /// einsum("bhid,bhjd->bhij", q, k): a sum of products over the letters
  /// the result does not name, every letter of one extent.
  Checked checkEinsum(ast::Expr &e);
  Checked checkHeads(ast::Expr &e);
  Checked checkUnheads(ast::Expr &e);
  Checked checkPermute(ast::Expr &e);
  Checked checkReshape(ast::Expr &e);
  Checked checkConcat(ast::Expr &e);
  Checked checkTopkMask(ast::Expr &e);
  bool readAxis(ast::Expr &v, size_t rank, int64_t &axis);
  /// `true` or `false`, the value of keyword argument `keyword`.
  bool readFlag(ast::Expr &v, const char *keyword, bool &value);
  bool readPositiveDim(ast::Expr &v, const std::string &fn, const char *what, DimExpr &out);

  // Messages (CheckExpr.cpp) ---------------------------------------------------
  std::string typeStr(const ast::ValueType &t) const;
  /// `'q'` for a name, otherwise `role` ("the left operand").
  std::string describe(const ast::Expr &e, const std::string &role) const;
  /// `'q' is f32[S, 64]`.
  std::string describeTyped(const ast::Expr &e, const std::string &role) const;
  bool fail(ast::Loc loc, const std::string &message);
  bool needNumbers(ast::Loc at, const std::string &what, const ast::Expr &operand,
                   const std::string &role);
  bool needBooleans(ast::Loc at, const std::string &what, const ast::Expr &operand,
                    const std::string &role);
  bool needRank(ast::Loc at, const std::string &what, unsigned rank, const ast::Expr &operand,
                const std::string &role);
  bool mismatch(ast::Loc at, const ast::Expr &a, const std::string &roleA, const ast::Expr &b,
                const std::string &roleB, const std::string &detail);
  bool broadcast(ast::Loc at, const ast::Expr &a, const std::string &roleA, const ast::Expr &b,
                 const std::string &roleB, Shape &out);
  /// Sets the checked type of an integer literal or dim-expression node.
  static void setIntScalar(ast::Expr &e);

  ast::Model &m_;
  Diagnostics &diag_;
  std::vector<std::string> dimNames_;

  std::unordered_map<std::string, Symbol> names_;
  std::vector<char> declWeak_;

  // Index scopes: each binding construct opens a level. Names bound at or
  // below `barrier_` are hidden: the base of a subscript is a whole tensor,
  // so it cannot depend on the indices around it.
  struct Binding {
    int id;
    unsigned level;
  };
  std::unordered_map<std::string, Binding> scope_;
  unsigned level_ = 0;
  unsigned barrier_ = 0;
  /// True inside a comprehension or reduction body, where values are scalars.
  bool scalar_ = false;

  struct FirstUse {
    bool seen = false;
    ast::Loc loc;
    std::string what;
  };
  std::vector<FirstUse> firstUse_; // by index variable id

  std::set<DimExpr> seenChecks_;
  FileBudget &budget_;
};

} // namespace attnc

#endif
