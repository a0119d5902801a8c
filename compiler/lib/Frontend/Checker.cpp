//===- Checker.cpp - Declarations, names, index variables, dim expressions ===//

#include "attnc/Frontend/Checker.h"

#include "CheckerImpl.h"
#include "attnc/Frontend/Suggestions.h"

#include <algorithm>

namespace attnc {

using namespace ast;

bool checkModule(Module &module, Diagnostics &diag) {
  std::unordered_map<std::string, size_t> seen;
  FileBudget budget;
  for (size_t i = 0; i < module.models.size(); ++i) {
    Model &m = module.models[i];
    auto [it, inserted] = seen.emplace(m.name, i);
    if (!inserted) {
      diag.error(m.loc, "redefinition of model '" + m.name + "'");
      diag.note(module.models[it->second].loc, "previous definition is here");
      return false;
    }
    if (!ModelChecker(m, diag, budget).run())
      return false;
  }
  return true;
}

ModelChecker::ModelChecker(Model &model, Diagnostics &diag, FileBudget &budget)
    : m_(model), diag_(diag), budget_(budget) {}

bool ModelChecker::fail(Loc loc, const std::string &message) {
  diag_.error(loc, message);
  return false;
}

bool ModelChecker::run() {
  dimNames_ = m_.dimNames();
  declWeak_.assign(m_.decls.size(), 0);
  firstUse_.assign(m_.indexVars.size(), FirstUse());
  int symbolic = 0;
  for (DimDecl &d : m_.dims)
    d.symbolicIndex = d.isFixed ? -1 : symbolic++;

  // Dims and the other declarations are kept apart in the tree; visit them
  // in source order, since a name must be declared before it is used.
  auto before = [](Loc a, Loc b) { return a.line != b.line ? a.line < b.line : a.col < b.col; };
  size_t di = 0, ti = 0;
  while (di < m_.dims.size() || ti < m_.decls.size()) {
    bool dimFirst = ti == m_.decls.size() ||
                    (di < m_.dims.size() && before(m_.dims[di].loc, m_.decls[ti].loc));
    if (dimFirst) {
      DimDecl &d = m_.dims[di];
      if (!checkUndefined(d.name, d.loc))
        return false;
      names_[d.name] = Symbol{RefKind::Dim, (int)di};
      if (d.upperBound && !checkDimBound(d, (int)di))
        return false;
      ++di;
    } else {
      if (!checkDecl((int)ti))
        return false;
      ++ti;
    }
  }

  if (std::none_of(m_.decls.begin(), m_.decls.end(),
                   [](const Decl &d) { return d.kind == DeclKind::Output; }))
    return fail(m_.loc, "model '" + m_.name + "' has no output");
  for (const ScheduleDirective &d : m_.schedule)
    if (!checkDirective(d))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

std::vector<std::string> ModelChecker::knownNames(bool dimsOnly) const {
  std::vector<std::string> names;
  for (const auto &[name, symbol] : names_)
    if (!dimsOnly || symbol.kind == RefKind::Dim)
      names.push_back(name);
  if (!dimsOnly)
    for (const auto &binding : scope_)
      names.push_back(binding.first);
  // The maps' order is unspecified: sorted, a tie is found the same way
  // every time.
  std::sort(names.begin(), names.end());
  return names;
}

std::string ModelChecker::symbolKind(const Symbol &s) const {
  if (s.kind == RefKind::Dim)
    return "dim";
  switch (m_.decls[s.id].kind) {
  case DeclKind::Input: return "input";
  case DeclKind::Param: return "param";
  case DeclKind::Let: return "let";
  case DeclKind::Output: return "output";
  }
  return "name";
}

Loc ModelChecker::symbolLoc(const Symbol &s) const {
  return s.kind == RefKind::Dim ? m_.dims[s.id].loc : m_.decls[s.id].loc;
}

bool ModelChecker::checkUndefined(const std::string &name, Loc loc) {
  auto it = names_.find(name);
  if (it == names_.end())
    return true;
  fail(loc, "redefinition of '" + name + "'");
  diag_.note(symbolLoc(it->second), "previous definition is here");
  return false;
}

bool ModelChecker::checkDecl(int id) {
  Decl &d = m_.decls[id];
  if (!checkUndefined(d.name, d.loc))
    return false;
  bool weak = false;
  if (d.isTensorInput()) {
    Shape shape;
    for (ExprPtr &e : d.shapeExprs) {
      auto extent = dimExpr(*e);
      if (!extent || !checkExtent(*extent, *e))
        return false;
      shape.push_back(std::move(*extent));
    }
    d.shape = shape;
    bool integer = d.dtype == DType::I32 || d.dtype == DType::I64;
    d.type.kind = integer ? ElemKind::Int : ElemKind::Float;
    d.type.dtype = d.dtype;
    d.type.shape = std::move(shape);
  } else if (d.indices.empty()) {
    Checked c = expr(*d.value);
    if (!c.ok)
      return false;
    d.type = d.value->type;
    weak = c.weak;
  } else if (!checkComprehension(d, weak)) {
    return false;
  }
  if (d.kind == DeclKind::Output && d.type.kind == ElemKind::Bool)
    return fail(d.loc, "output '" + d.name + "' is boolean; use where(...)");
  if (!chargeType(d.type, d.loc) || !checkSize(d.type, d.loc, d.name))
    return false;
  noteDivisions(d.type.shape);
  declWeak_[id] = weak;
  names_[d.name] = Symbol{RefKind::Decl, id};
  return true;
}

bool ModelChecker::checkComprehension(Decl &d, bool &weak) {
  if (!bindIndices(d.indices, &d))
    return false;
  bool wasScalar = scalar_;
  scalar_ = true;
  Checked body = expr(*d.value);
  scalar_ = wasScalar;
  unbindIndices(d.indices);
  if (!body.ok || !finishIndices(d.indices, &d))
    return false;
  d.type = d.value->type;
  d.type.shape.clear();
  for (int id : d.indices)
    d.type.shape.push_back(m_.indexVars[id].extent);
  weak = body.weak;
  return true;
}

//===----------------------------------------------------------------------===//
// Index variables
//===----------------------------------------------------------------------===//

bool ModelChecker::bindIndices(const std::vector<int> &ids, const Decl *defining) {
  ++level_;
  for (size_t k = 0; k < ids.size(); ++k) {
    IndexVar &iv = m_.indexVars[ids[k]];
    for (size_t j = 0; j < k; ++j)
      if (m_.indexVars[ids[j]].name == iv.name) {
        fail(iv.loc, "duplicate index '" + iv.name + "'");
        diag_.note(m_.indexVars[ids[j]].loc, "'" + iv.name + "' is first bound here");
        return false;
      }
    auto sym = names_.find(iv.name);
    if (sym != names_.end()) {
      std::string kind = symbolKind(sym->second);
      fail(iv.loc, "index '" + iv.name + "' shadows " + kind + " '" + iv.name + "'");
      diag_.note(symbolLoc(sym->second), kind + " '" + iv.name + "' is declared here");
      return false;
    }
    auto outer = scope_.find(iv.name);
    if (outer != scope_.end()) {
      fail(iv.loc, "index '" + iv.name + "' shadows index '" + iv.name + "'");
      diag_.note(m_.indexVars[outer->second.id].loc, "index '" + iv.name + "' is bound here");
      return false;
    }
    if (defining && defining->name == iv.name) {
      std::string kind = defining->kind == DeclKind::Let ? "let" : "output";
      return fail(iv.loc, "index '" + iv.name + "' shadows " + kind + " '" + iv.name + "'");
    }
    if (iv.hasExplicitExtent) {
      auto extent = dimExpr(*iv.explicitExtent);
      if (!extent || !checkExtent(*extent, *iv.explicitExtent))
        return false;
      iv.extent = std::move(*extent);
      noteDivisions(iv.extent);
    }
    scope_[iv.name] = Binding{ids[k], level_};
  }
  return true;
}

void ModelChecker::unbindIndices(const std::vector<int> &ids) {
  for (int id : ids)
    scope_.erase(m_.indexVars[id].name);
  --level_;
}

bool ModelChecker::finishIndices(const std::vector<int> &ids, const Decl *defining) {
  for (int id : ids) {
    IndexVar &iv = m_.indexVars[id];
    if (iv.hasExplicitExtent || firstUse_[id].seen)
      continue;
    if (defining)
      return fail(iv.loc, "cannot infer the extent of index '" + iv.name +
                              "'; give it explicitly: " + defining->name + "[" + iv.name +
                              ": N]");
    return fail(iv.loc, "cannot infer the extent of index '" + iv.name +
                            "'; use it as a plain subscript of a tensor in the reduction");
  }
  return true;
}

bool ModelChecker::recordPlainUse(int id, const DimExpr &extent, Loc loc,
                                  const std::string &what) {
  IndexVar &iv = m_.indexVars[id];
  FirstUse &first = firstUse_[id];
  if (iv.hasExplicitExtent) {
    if (extent == iv.extent)
      return true;
    fail(loc, "index '" + iv.name + "' has extent " + extent.str(dimNames_) + " here (" + what +
                  "), but its explicit extent is " + iv.extent.str(dimNames_));
    diag_.note(iv.explicitExtent->loc, "explicit extent of '" + iv.name + "' given here");
    return false;
  }
  if (!first.seen) {
    first.seen = true;
    first.loc = loc;
    first.what = what;
    iv.extent = extent;
    return true;
  }
  if (extent == iv.extent)
    return true;
  fail(loc, "index '" + iv.name + "' has extent " + extent.str(dimNames_) + " here (" + what +
                "), but extent " + iv.extent.str(dimNames_) + " at its first use");
  diag_.note(first.loc, "first use of '" + iv.name + "' here (" + first.what + ")");
  return false;
}

//===----------------------------------------------------------------------===//
// Dim expressions
//===----------------------------------------------------------------------===//

void ModelChecker::setIntScalar(Expr &e) {
  e.type = typerules::makeType(typerules::intElem(), {});
}

std::optional<DimExpr> ModelChecker::dimExpr(Expr &e) {
  // An operand in a message: a constant as it is, anything else in
  // parentheses (`(6*S) / (4*S)`).
  auto operandStr = [&](const DimExpr &x) {
    return x.isConstant() ? x.str(dimNames_) : "(" + x.str(dimNames_) + ")";
  };
  auto notAllowed = [&]() -> std::optional<DimExpr> {
    fail(e.loc, "only integers, dim names and + - * / are allowed in a dim expression");
    return std::nullopt;
  };
  DimExpr::Failure why = DimExpr::Failure::Overflow;
  switch (e.kind) {
  case ExprKind::Number:
    if (!e.isInteger)
      return notAllowed();
    setIntScalar(e);
    return DimExpr::constant(e.intValue);
  case ExprKind::Name: {
    if (scope_.count(e.name)) {
      fail(e.loc, "'" + e.name + "' is an index, not a dim");
      return std::nullopt;
    }
    auto it = names_.find(e.name);
    if (it == names_.end()) {
      fail(e.loc, "use of undeclared name '" + e.name + "'" +
                      didYouMean(e.name, knownNames(/*dimsOnly=*/true)));
      return std::nullopt;
    }
    if (it->second.kind != RefKind::Dim) {
      std::string kind = symbolKind(it->second);
      bool vowel = kind[0] == 'i' || kind[0] == 'o';
      fail(e.loc, "'" + e.name + "' is " + (vowel ? "an " : "a ") + kind + ", not a dim");
      return std::nullopt;
    }
    const DimDecl &d = m_.dims[it->second.id];
    e.refKind = RefKind::Dim;
    e.refId = it->second.id;
    setIntScalar(e);
    return d.isFixed ? DimExpr::constant(d.fixedValue) : DimExpr::symbol(it->second.id);
  }
  case ExprKind::Unary: {
    if (e.unaryOp != UnaryOp::Neg)
      return notAllowed();
    auto v = dimExpr(*e.operands[0]);
    if (!v)
      return std::nullopt;
    setIntScalar(e);
    auto r = DimExpr::sub(DimExpr(), *v, &why);
    if (!r) {
      dimFailure(e.loc, why);
      return std::nullopt;
    }
    if (!chargeDimSize(*r, e.loc))
      return std::nullopt;
    return r;
  }
  case ExprKind::Binary: {
    BinaryOp op = e.binaryOp;
    if (op != BinaryOp::Add && op != BinaryOp::Sub && op != BinaryOp::Mul && op != BinaryOp::Div)
      return notAllowed();
    auto a = dimExpr(*e.operands[0]);
    if (!a)
      return std::nullopt;
    auto b = dimExpr(*e.operands[1]);
    if (!b)
      return std::nullopt;
    setIntScalar(e);
    std::optional<DimExpr> r;
    switch (op) {
    case BinaryOp::Add: r = DimExpr::add(*a, *b, &why); break;
    case BinaryOp::Sub: r = DimExpr::sub(*a, *b, &why); break;
    case BinaryOp::Mul: r = DimExpr::mul(*a, *b, &why); break;
    default: r = DimExpr::div(*a, *b, &why); break;
    }
    if (r) {
      if (!chargeDimSize(*r, e.loc))
        return std::nullopt;
      return r;
    }
    if (why == DimExpr::Failure::DivisionByZero)
      fail(e.loc, "division by zero in dim expression '" + printExpr(e, &m_) + "'");
    else if (why == DimExpr::Failure::NotExact)
      fail(e.loc, "dim expression '" + printExpr(e, &m_) + "' does not divide exactly (" +
                      operandStr(*a) + " / " + operandStr(*b) + ")");
    else
      dimFailure(e.loc, why);
    return std::nullopt;
  }
  default:
    return notAllowed();
  }
}

bool ModelChecker::checkExtent(const DimExpr &extent, const Expr &written) {
  auto c = extent.getConstant();
  if (c && *c < 1)
    return fail(written.loc, "extent must be at least 1, but '" + printExpr(written, &m_) +
                                 "' is " + std::to_string(*c));
  noteDivisions(extent);
  return true;
}

void ModelChecker::noteDivisions(const DimExpr &e) {
  if (e.hasDivision() && seenChecks_.insert(e).second)
    m_.shapeChecks.push_back(e);
}

DimSign signOf(const DimExpr &e, int64_t &constant) {
  // Dims are never negative: neither is a sum of products of dims with
  // positive coefficients, and one whose every coefficient is negative is
  // never positive.
  bool positive = true, negative = true;
  constant = 0;
  for (const auto &[monomial, coefficient] : e.terms()) {
    bool dimsOnly = std::all_of(monomial.begin(), monomial.end(),
                                [](const DimAtom &a) { return a.dim >= 0; });
    if (monomial.empty())
      constant = coefficient;
    positive &= coefficient > 0 && dimsOnly;
    negative &= coefficient < 0 && dimsOnly;
  }
  return positive ? DimSign::NonNegative : negative ? DimSign::NonPositive : DimSign::Unknown;
}

bool ModelChecker::requireNonNegative(const DimExpr &e, Loc loc,
                                      const std::function<std::string(int64_t)> &message) {
  int64_t constant;
  DimSign sign = signOf(e, constant);
  if (sign == DimSign::NonNegative || e.terms().empty())
    return true;
  if (e.isConstant() || (sign == DimSign::NonPositive && constant < 0))
    return fail(loc, message(constant)); // negative whatever the dims
  if (seenChecks_.insert(e).second)
    m_.shapeChecks.push_back(e);
  return true;
}

bool ModelChecker::checkDimBound(DimDecl &d, int id) {
  Expr &written = *d.upperBound;
  auto bound = dimExpr(written);
  if (!bound)
    return false;
  DimExpr self = d.isFixed ? DimExpr::constant(d.fixedValue) : DimExpr::symbol(id);
  DimExpr::Failure why;
  auto room = DimExpr::sub(*bound, self, &why);
  if (!room)
    return dimFailure(written.loc, why);
  noteDivisions(*room);
  return requireNonNegative(*room, written.loc, [&](int64_t) {
    std::string boundText = "'" + printExpr(written, &m_) + "'";
    if (!d.isFixed)
      return "dim '" + d.name + "' can never be at most " + boundText;
    return "dim '" + d.name + "' is " + std::to_string(d.fixedValue) + ", but must be at most " +
           boundText + (bound->getConstant() ? "" : " (" + bound->str(dimNames_) + ")");
  });
}

bool ModelChecker::dimFailure(Loc loc, DimExpr::Failure why) {
  if (why == DimExpr::Failure::TooComplex)
    return fail(loc, "dim expression is too complex");
  return fail(loc, "dim expression overflows 64 bits");
}

bool ModelChecker::chargeType(const ValueType &t, Loc loc) {
  budget_.axes += t.rank();
  if (budget_.axes > kMaxCheckedAxes)
    return fail(loc, "too many tensor axes in one file (limit " +
                         std::to_string(kMaxCheckedAxes) + "); split the model");
  for (const DimExpr &e : t.shape)
    if (!chargeDimSize(e, loc))
      return false;
  return true;
}

bool ModelChecker::chargeDimSize(const DimExpr &e, Loc loc) {
  budget_.dimSize += e.size();
  if (budget_.dimSize <= kMaxCheckedDimSize)
    return true;
  return fail(loc, "too many dim-expression terms in one file (limit " +
                       std::to_string(kMaxCheckedDimSize) + "); split the model");
}

bool ModelChecker::checkSize(const ValueType &t, Loc loc, const std::string &name) {
  int64_t bytes = t.kind == ElemKind::Bool ? 1 : 4;
  bool overflows = false, symbolic = false;
  for (const DimExpr &e : t.shape) {
    std::optional<int64_t> extent = e.getConstant();
    symbolic = symbolic || !extent;
    overflows = overflows || (extent && __builtin_mul_overflow(bytes, *extent, &bytes));
  }
  if (!overflows)
    return true;
  // With symbolic extents too, only a 0 among them would make it fit.
  return fail(loc, (name.empty() ? "this value" : "'" + name + "'") + " is too large: the size of " +
                       typeToString(t, m_.dimNames()) + " overflows 64 bits" +
                       (symbolic ? " unless a symbolic extent is 0" : ""));
}

void ModelChecker::noteDivisions(const Shape &s) {
  for (const DimExpr &e : s)
    noteDivisions(e);
}

} // namespace attnc
