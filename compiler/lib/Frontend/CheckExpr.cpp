//===- CheckExpr.cpp - Types of operators, subscripts and reductions ------===//

#include "CheckerImpl.h"
#include "attnc/Frontend/Suggestions.h"

namespace attnc {

using namespace ast;
using namespace typerules;

//===----------------------------------------------------------------------===//
// Messages
//===----------------------------------------------------------------------===//

std::string ModelChecker::typeStr(const ValueType &t) const { return typeToString(t, dimNames_); }

std::string ModelChecker::describe(const Expr &e, const std::string &role) const {
  return e.kind == ExprKind::Name ? "'" + e.name + "'" : role;
}

std::string ModelChecker::describeTyped(const Expr &e, const std::string &role) const {
  return describe(e, role) + " is " + typeStr(e.type);
}

bool ModelChecker::needNumbers(Loc at, const std::string &what, const Expr &operand,
                               const std::string &role) {
  return fail(at, what + " needs numbers, but " + describeTyped(operand, role));
}

bool ModelChecker::needBooleans(Loc at, const std::string &what, const Expr &operand,
                                const std::string &role) {
  return fail(at, what + " needs booleans, but " + describeTyped(operand, role));
}

bool ModelChecker::needRank(Loc at, const std::string &what, unsigned rank, const Expr &operand,
                            const std::string &role) {
  return fail(at, what + " needs a tensor of rank at least " + std::to_string(rank) + ", but " +
                      describeTyped(operand, role));
}

bool ModelChecker::mismatch(Loc at, const Expr &a, const std::string &roleA, const Expr &b,
                            const std::string &roleB, const std::string &detail) {
  return fail(at, describeTyped(a, roleA) + " but " + describeTyped(b, roleB) + ": " + detail);
}

bool ModelChecker::broadcast(Loc at, const Expr &a, const std::string &roleA, const Expr &b,
                             const std::string &roleB, Shape &out) {
  size_t axisA = 0, axisB = 0;
  if (broadcastShapes(a.type.shape, b.type.shape, out, axisA, axisB))
    return true;
  return mismatch(at, a, roleA, b, roleB,
                  axesDiffer(a.type.shape, axisA, b.type.shape, axisB, dimNames_));
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

Checked ModelChecker::expr(Expr &e) {
  Checked c;
  switch (e.kind) {
  case ExprKind::Number: c = checkNumber(e); break;
  case ExprKind::Name: c = checkName(e); break;
  case ExprKind::Unary: c = checkUnary(e); break;
  case ExprKind::Binary: c = checkBinary(e); break;
  case ExprKind::Call: c = checkCall(e); break;
  case ExprKind::Reduce: c = checkReduce(e); break;
  case ExprKind::Subscript: c = checkSubscript(e); break;
  case ExprKind::Transpose: c = checkTranspose(e); break;
  case ExprKind::List:
    fail(e.loc, "a list is only allowed as the permutation of transpose, the shape of reshape "
                "or an axis");
    return {};
  }
  if (!c.ok || !chargeType(e.type, e.loc) || !checkSize(e.type, e.loc, ""))
    return {};
  noteDivisions(e.type.shape);
  return c;
}

Checked ModelChecker::checkNumber(Expr &e) {
  e.type = makeType(e.isInteger ? intElem() : weakFloat(), {});
  return {true, !e.isInteger};
}

Checked ModelChecker::checkName(Expr &e) {
  auto bound = scope_.find(e.name);
  if (bound != scope_.end()) {
    if (bound->second.level <= barrier_) {
      fail(e.loc, "index '" + e.name + "' cannot be used inside a subscripted expression, which "
                  "is computed as a whole tensor");
      return {};
    }
    e.refKind = RefKind::Index;
    e.refId = bound->second.id;
    setIntScalar(e);
    return {true, false};
  }
  auto it = names_.find(e.name);
  if (it == names_.end()) {
    fail(e.loc, "use of undeclared name '" + e.name + "'" + didYouMean(e.name, knownNames()));
    return {};
  }
  e.refId = it->second.id;
  if (it->second.kind == RefKind::Dim) {
    e.refKind = RefKind::Dim;
    setIntScalar(e);
    return {true, false};
  }
  e.refKind = RefKind::Decl;
  e.type = m_.decls[e.refId].type;
  if (scalar_ && e.type.rank() > 0) {
    fail(e.loc, "'" + e.name + "' has rank " + std::to_string(e.type.rank()) +
                    "; subscript it inside a comprehension");
    return {};
  }
  return {true, declWeak_[e.refId] != 0};
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

Checked ModelChecker::checkUnary(Expr &e) {
  Expr &x = *e.operands[0];
  Checked c = expr(x);
  if (!c.ok)
    return {};
  if (e.unaryOp == UnaryOp::Neg) {
    if (!isNumber(x.type)) {
      needNumbers(e.loc, "'-'", x, "the operand");
      return {};
    }
    e.type = x.type;
    return {true, c.weak};
  }
  if (x.type.kind != ElemKind::Bool) {
    needBooleans(e.loc, "'!'", x, "the operand");
    return {};
  }
  e.type = x.type;
  return {true, false};
}

Checked ModelChecker::checkBinary(Expr &e) {
  Expr &a = *e.operands[0], &b = *e.operands[1];
  Checked ca = expr(a);
  if (!ca.ok)
    return {};
  Checked cb = expr(b);
  if (!cb.ok)
    return {};
  if (e.binaryOp == BinaryOp::MatMul)
    return checkMatMul(e, ca, cb);

  std::string op = std::string("'") + binaryOpSpelling(e.binaryOp) + "'";
  const char *left = "the left operand", *right = "the right operand";
  bool logical = e.binaryOp == BinaryOp::And || e.binaryOp == BinaryOp::Or;
  for (const Expr *x : {&a, &b}) {
    const char *role = x == &a ? left : right;
    if (logical && x->type.kind != ElemKind::Bool) {
      needBooleans(e.loc, op, *x, role);
      return {};
    }
    if (!logical && !isNumber(x->type)) {
      needNumbers(e.loc, op, *x, role);
      return {};
    }
  }
  Shape shape;
  if (!broadcast(e.loc, a, left, b, right, shape))
    return {};

  Elem elem;
  switch (e.binaryOp) {
  case BinaryOp::And: case BinaryOp::Or:
  case BinaryOp::Lt: case BinaryOp::Le: case BinaryOp::Gt:
  case BinaryOp::Ge: case BinaryOp::Eq: case BinaryOp::Ne:
    elem = boolElem();
    break;
  case BinaryOp::Pow:
    elem = toFloat(promote(elemOf(a.type, ca.weak), elemOf(b.type, cb.weak)));
    break;
  default:
    elem = promote(elemOf(a.type, ca.weak), elemOf(b.type, cb.weak));
    break;
  }
  e.type = makeType(elem, std::move(shape));
  return {true, elem.weak};
}

Checked ModelChecker::checkMatMul(Expr &e, const Checked &ca, const Checked &cb) {
  Expr &a = *e.operands[0], &b = *e.operands[1];
  const char *left = "the left operand", *right = "the right operand";
  for (const Expr *x : {&a, &b}) {
    const char *role = x == &a ? left : right;
    if (!isNumber(x->type)) {
      needNumbers(e.loc, "'@'", *x, role);
      return {};
    }
    if (x->type.rank() < 1) {
      needRank(e.loc, "'@'", 1, *x, role);
      return {};
    }
  }
  // numpy.matmul: a 1-D left operand is a row, a 1-D right operand a column;
  // the added axis is removed from the result.
  Shape sa = a.type.shape, sb = b.type.shape;
  bool rowA = sa.size() == 1, colB = sb.size() == 1;
  if (rowA)
    sa.insert(sa.begin(), DimExpr::constant(1));
  if (colB)
    sb.push_back(DimExpr::constant(1));
  const DimExpr &ka = sa.back(), &kb = sb[sb.size() - 2];
  if (ka != kb) {
    mismatch(e.loc, a, left, b, right,
             "contracted axes differ (" + ka.str(dimNames_) + " vs " + kb.str(dimNames_) + ")");
    return {};
  }
  Shape batchA(sa.begin(), sa.end() - 2), batchB(sb.begin(), sb.end() - 2), shape;
  size_t axisA = 0, axisB = 0;
  if (!broadcastShapes(batchA, batchB, shape, axisA, axisB)) {
    mismatch(e.loc, a, left, b, right,
             axesDiffer(a.type.shape, axisA, b.type.shape, axisB, dimNames_));
    return {};
  }
  if (!rowA)
    shape.push_back(sa[sa.size() - 2]);
  if (!colB)
    shape.push_back(sb.back());
  Elem elem = promote(elemOf(a.type, ca.weak), elemOf(b.type, cb.weak));
  e.type = makeType(elem, std::move(shape));
  return {true, elem.weak};
}

Checked ModelChecker::checkTranspose(Expr &e) {
  Expr &x = *e.operands[0];
  Checked c = expr(x);
  if (!c.ok)
    return {};
  if (x.type.rank() < 2) {
    needRank(e.loc, "'.T'", 2, x, "the operand");
    return {};
  }
  e.type = x.type;
  std::swap(e.type.shape[e.type.rank() - 1], e.type.shape[e.type.rank() - 2]);
  return {true, c.weak};
}

//===----------------------------------------------------------------------===//
// Subscripts and reductions
//===----------------------------------------------------------------------===//

Checked ModelChecker::checkSubscript(Expr &e) {
  Expr &base = *e.operands[0];
  // The base is a whole tensor: tensor context, enclosing indices hidden.
  bool wasScalar = scalar_;
  unsigned wasBarrier = barrier_;
  scalar_ = false;
  barrier_ = level_;
  Checked cb = expr(base);
  scalar_ = wasScalar;
  barrier_ = wasBarrier;
  if (!cb.ok)
    return {};

  const std::string baseRole = "the subscripted expression";
  size_t count = e.operands.size() - 1, rank = base.type.rank();
  if (count != rank) {
    fail(e.loc, describe(base, baseRole) + " has rank " + std::to_string(rank) + ", but " +
                    std::to_string(count) + (count == 1 ? " subscript is" : " subscripts are") +
                    " given");
    return {};
  }
  for (size_t k = 0; k < count; ++k) {
    Expr &s = *e.operands[k + 1];
    if (!expr(s).ok)
      return {};
    if (s.type.kind != ElemKind::Int || s.type.rank() != 0) {
      fail(s.loc, "subscript must be an integer scalar, but " + describeTyped(s, "it"));
      return {};
    }
    if (s.kind == ExprKind::Name && s.refKind == RefKind::Index &&
        !recordPlainUse(s.refId, base.type.shape[k], s.loc,
                        "axis " + std::to_string(k) + " of " + describe(base, baseRole)))
      return {};
  }
  e.type = makeType(elemOf(base.type, cb.weak), {});
  return {true, cb.weak && base.type.kind == ElemKind::Float};
}

Checked ModelChecker::checkReduce(Expr &e) {
  if (!bindIndices(e.boundIndices, nullptr))
    return {};
  Expr &body = *e.operands[0];
  bool wasScalar = scalar_;
  scalar_ = true;
  Checked cb = expr(body);
  scalar_ = wasScalar;
  unbindIndices(e.boundIndices);
  if (!cb.ok || !finishIndices(e.boundIndices, nullptr))
    return {};
  if (!isNumber(body.type)) {
    needNumbers(e.loc, "'" + e.callee + "'", body, "its body");
    return {};
  }
  Elem elem = elemOf(body.type, cb.weak);
  if (e.reduceKind == ReduceKind::Mean)
    elem = toFloat(elem);
  e.type = makeType(elem, {});
  return {true, elem.weak};
}

} // namespace attnc
