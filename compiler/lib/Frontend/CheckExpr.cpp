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
  case ExprKind::Slice: c = checkSlice(e); break;
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
  if (!scalar_ && count < rank) {
    // Outside comprehensions, `x[k]` is NumPy's: the rows of x at k.
    for (size_t k = 1; k < e.operands.size(); ++k) {
      SliceItem item;
      item.kind = SliceItem::Kind::Index;
      item.loc = e.operands[k]->loc;
      item.start = std::move(e.operands[k]);
      e.sliceItems.push_back(std::move(item));
    }
    e.operands.resize(1);
    e.kind = ExprKind::Slice;
    return sliceAxes(e, cb);
  }
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

Checked ModelChecker::checkSlice(Expr &e) {
  if (scalar_) {
    fail(e.loc, "a slice is a whole tensor, so a comprehension's body cannot hold one; subscript "
                "the tensor with indices instead");
    return {};
  }
  Checked cb = expr(*e.operands[0]);
  return cb.ok ? sliceAxes(e, cb) : Checked();
}

Checked ModelChecker::sliceAxes(Expr &e, const Checked &cb) {
  Expr &base = *e.operands[0];
  const std::string baseRole = "the sliced expression";
  size_t rank = base.type.rank(), ellipses = 0;
  for (const SliceItem &item : e.sliceItems)
    if (item.kind == SliceItem::Kind::Ellipsis && ++ellipses > 1) {
      fail(item.loc, "a slice may hold one '...' only");
      return {};
    }
  size_t named = e.sliceItems.size() - ellipses;
  if (named > rank) {
    fail(e.loc, describe(base, baseRole) + " has rank " + std::to_string(rank) + ", but the slice "
                "has " + std::to_string(named) + (named == 1 ? " item" : " items"));
    return {};
  }
  // One SliceAxis per axis of the base: '...' and the axes after the last
  // item are taken whole.
  e.sliceAxes.clear();
  Shape shape;
  auto whole = [&](size_t axis) {
    e.sliceAxes.push_back({false, DimExpr(), base.type.shape[axis]});
    shape.push_back(base.type.shape[axis]);
  };
  for (SliceItem &item : e.sliceItems) {
    if (item.kind == SliceItem::Kind::Ellipsis) {
      for (size_t k = 0; k < rank - named; ++k)
        whole(e.sliceAxes.size());
      continue;
    }
    size_t axis = e.sliceAxes.size();
    SliceAxis out;
    if (!checkSliceItem(item, base.type.shape[axis],
                        "axis " + std::to_string(axis) + " of " + describe(base, baseRole), out))
      return {};
    if (!out.isIndex)
      shape.push_back(out.extent);
    e.sliceAxes.push_back(std::move(out));
  }
  while (e.sliceAxes.size() < rank)
    whole(e.sliceAxes.size());
  e.type = makeType(elemOf(base.type, cb.weak), shape);
  return {true, cb.weak && base.type.kind == ElemKind::Float};
}

bool ModelChecker::checkSliceItem(SliceItem &item, const DimExpr &extent,
                                  const std::string &axisText, SliceAxis &out) {
  DimExpr::Failure why;
  // A bound is a dim expression. One that is negative (a negative constant,
  // or minus dims: `-S`) counts from the end, as in NumPy; for one over
  // dims, a run-time check makes sure it is not 0, where NumPy would count
  // from the start.
  auto bound = [&](Expr *written, const DimExpr &omitted) -> std::optional<DimExpr> {
    if (!written)
      return omitted;
    auto v = dimExpr(*written);
    if (!v)
      return std::nullopt;
    int64_t constant;
    if (v->terms().empty() || signOf(*v, constant) != DimSign::NonPositive)
      return v;
    if (!v->isConstant()) {
      auto magnitude = DimExpr::sub(DimExpr::constant(-1), *v, &why);
      if (!magnitude || !requireNonNegative(*magnitude, written->loc, [&](int64_t) {
            return "'" + printExpr(*written, &m_) + "' counts from the end, so it may not be 0";
          }))
        return std::nullopt;
    }
    v = DimExpr::add(extent, *v, &why);
    if (!v)
      dimFailure(written->loc, why);
    return v;
  };
  auto written = [&](const ExprPtr &b) { return b ? printExpr(*b, &m_) : std::string(); };
  std::string text = item.kind == SliceItem::Kind::Index
                         ? written(item.start)
                         : written(item.start) + ":" + written(item.stop);
  auto first = bound(item.start.get(), DimExpr());
  if (!first)
    return false;
  out.isIndex = item.kind == SliceItem::Kind::Index;
  out.first = *first;
  std::string what = (out.isIndex ? "index '" : "slice '") + text + "' of " + axisText;
  if (!requireNonNegative(*first, item.loc, [&](int64_t v) {
        return what + (out.isIndex ? " is out of range (its extent is " + extent.str(dimNames_) + ")"
                                   : " starts before the axis (at " + std::to_string(v) + ")");
      }))
    return false;
  // The last element taken: first for an index, stop - 1 for a range.
  std::optional<DimExpr> end;
  if (out.isIndex) {
    end = DimExpr::add(*first, DimExpr::constant(1), &why);
  } else {
    end = bound(item.stop.get(), extent);
    if (!end)
      return false;
    auto taken = DimExpr::sub(*end, *first, &why);
    if (!taken)
      return dimFailure(item.loc, why);
    out.extent = *taken;
    if (auto c = taken->getConstant(); c && *c < 1)
      return fail(item.loc, what + " takes " + std::to_string(*c) +
                                " elements; a slice takes at least 1");
    if (!requireNonNegative(*taken, item.loc, [&](int64_t) {
          return what + " ends before it starts";
        }))
      return false;
    noteDivisions(*taken);
  }
  if (!end)
    return dimFailure(item.loc, why);
  auto room = DimExpr::sub(extent, *end, &why);
  if (!room)
    return dimFailure(item.loc, why);
  noteDivisions(*first);
  noteDivisions(*room);
  return requireNonNegative(*room, item.loc, [&](int64_t) {
    return what + (out.isIndex ? " is out of range" : " ends past the axis") + " (its extent is " +
           extent.str(dimNames_) + ")";
  });
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
