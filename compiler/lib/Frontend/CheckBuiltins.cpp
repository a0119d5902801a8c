//===- CheckBuiltins.cpp - Arguments and types of built-in calls ----------===//
//
// Each built-in has a signature: positional parameters (some optional, or a
// variadic tail) and keyword-only options. The checker binds the arguments,
// checks them, and records the resolved Builtin with its attributes (axis,
// axes, perm, eps, dimArg, shapeArg) in the call expression.
//
//===----------------------------------------------------------------------===//

#include "CheckerImpl.h"
#include "attnc/Frontend/Suggestions.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnc {

using namespace ast;
using namespace typerules;

struct ModelChecker::Signature {
  std::string name;
  std::vector<const char *> params;       // positional, in order
  size_t required;                     // how many positional are required
  bool variadic = false;               // more positional arguments allowed
  std::vector<const char *> keywords = {}; // keyword-only options
  std::string usage = {};              // replaces the generated arity text
};

namespace {

std::string joined(const std::vector<const char *> &names, const char *sep) {
  std::string s;
  for (const char *n : names)
    s += (s.empty() ? "" : sep) + std::string(n);
  return s;
}

std::string plural(size_t n, const char *word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

/// An integer literal, possibly negated: `2`, `-1`.
bool integerLiteral(const Expr &e, int64_t &value) {
  if (e.kind == ExprKind::Number && e.isInteger) {
    value = e.intValue;
    return true;
  }
  if (e.kind == ExprKind::Unary && e.unaryOp == UnaryOp::Neg &&
      e.operands[0]->kind == ExprKind::Number && e.operands[0]->isInteger) {
    value = -e.operands[0]->intValue;
    return true;
  }
  return false;
}

struct ElementwiseBuiltin {
  const char *name;
  Builtin builtin;
};
const ElementwiseBuiltin kElementwise[] = {
    {"exp", Builtin::Exp},         {"log", Builtin::Log},   {"sqrt", Builtin::Sqrt},
    {"rsqrt", Builtin::Rsqrt},     {"abs", Builtin::Abs},   {"tanh", Builtin::Tanh},
    {"sigmoid", Builtin::Sigmoid}, {"relu", Builtin::Relu}, {"gelu", Builtin::Gelu},
    {"sin", Builtin::Sin},         {"cos", Builtin::Cos},   {"silu", Builtin::Silu},
    {"softplus", Builtin::Softplus}, {"erf", Builtin::Erf},   {"floor", Builtin::Floor},
    {"ceil", Builtin::Ceil},       {"round", Builtin::Round}, {"int", Builtin::Int},
};

/// "argument 2" for operand 1.
std::string argumentRole(size_t i) { return "argument " + std::to_string(i + 1); }

const char *const kMinMaxUsage = "2 positional arguments (a, b), or 1 (x) with axis = k";

/// The built-ins checkCall dispatches to besides kElementwise
/// (BuiltinsTest checks that each is known).
const char *const kOtherFunctions[] = {
    "max",     "min",       "sum",       "mean",    "logsumexp", "where",
    "clamp",   "softmax",   "log_softmax", "layernorm", "rmsnorm", "heads",
    "unheads", "transpose", "reshape",   "concat",  "stack",     "topk_mask",
    "argmax",  "argmin",    "einsum"};

} // namespace

std::vector<std::string> builtinFunctionNames() {
  std::vector<std::string> names(std::begin(kOtherFunctions), std::end(kOtherFunctions));
  for (const ElementwiseBuiltin &b : kElementwise)
    names.push_back(b.name);
  return names;
}

//===----------------------------------------------------------------------===//
// Binding
//===----------------------------------------------------------------------===//

bool ModelChecker::bindArguments(Expr &call, const Signature &sig,
                                 std::vector<Expr *> &keywordValues) {
  size_t n = call.operands.size();
  if (n < sig.required || (!sig.variadic && n > sig.params.size())) {
    std::string usage = sig.usage;
    if (usage.empty()) {
      std::string names = " (" + joined(sig.params, ", ") + (sig.variadic ? ", ..." : "") + ")";
      if (sig.variadic)
        usage = "at least " + plural(sig.required, "positional argument") + names;
      else if (sig.required == sig.params.size())
        usage = plural(sig.required, "positional argument") + names;
      else
        usage = std::to_string(sig.required) + " or " +
                plural(sig.params.size(), "positional argument") + names;
    }
    return fail(call.loc, "'" + sig.name + "' takes " + usage + ", but " + std::to_string(n) +
                              (n == 1 ? " was" : " were") + " given");
  }
  keywordValues.assign(sig.keywords.size(), nullptr);
  for (KeywordArg &k : call.kwargs) {
    auto it = std::find_if(sig.keywords.begin(), sig.keywords.end(),
                           [&](const char *kw) { return k.name == kw; });
    if (it == sig.keywords.end()) {
      if (sig.keywords.empty())
        return fail(k.loc, "'" + sig.name + "' takes no keyword arguments");
      return fail(k.loc, "unknown keyword argument '" + k.name + "' for '" + sig.name +
                             "' (expected " + joined(sig.keywords, " or ") + ")" +
                             didYouMean(k.name, std::vector<std::string>(sig.keywords.begin(),
                                                                         sig.keywords.end())));
    }
    Expr *&slot = keywordValues[it - sig.keywords.begin()];
    if (slot)
      return fail(k.loc, "duplicate keyword argument '" + k.name + "'");
    slot = k.value.get();
  }
  return true;
}

bool ModelChecker::readAxis(Expr &v, size_t rank, int64_t &axis) {
  int64_t value;
  if (!integerLiteral(v, value))
    return fail(v.loc, "axis must be an integer literal");
  setIntScalar(v);
  if (v.kind == ExprKind::Unary)
    setIntScalar(*v.operands[0]);
  int64_t r = (int64_t)rank;
  if (value < -r || value >= r)
    return fail(v.loc, "axis " + std::to_string(value) + " is out of range for rank " +
                           std::to_string(rank));
  axis = value < 0 ? value + r : value;
  return true;
}

bool ModelChecker::readPositiveDim(Expr &v, const std::string &fn, const char *what,
                                   DimExpr &out) {
  auto d = dimExpr(v);
  if (!d)
    return false;
  auto c = d->getConstant();
  if (c && *c < 1)
    return fail(v.loc, "'" + fn + "' needs " + what + " >= 1, but it is " + std::to_string(*c));
  noteDivisions(*d);
  out = std::move(*d);
  return true;
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

Checked ModelChecker::checkCall(Expr &e) {
  const std::string &f = e.callee;
  for (const ElementwiseBuiltin &b : kElementwise)
    if (f == b.name)
      return checkElementwise(e, b.builtin);
  if (f == "max")
    return checkMinMax(e, Builtin::Max2);
  if (f == "min")
    return checkMinMax(e, Builtin::Min2);
  if (f == "sum")
    return checkReduceAxis(e, ReduceKind::Sum);
  if (f == "mean")
    return checkReduceAxis(e, ReduceKind::Mean);
  if (f == "where")
    return checkWhere(e);
  if (f == "clamp")
    return checkClamp(e);
  if (f == "softmax" || f == "log_softmax")
    return checkSoftmax(e);
  if (f == "logsumexp")
    return checkReduceAxis(e, ReduceKind::Sum, /*logSumExp=*/true);
  if (f == "einsum")
    return checkEinsum(e);
  if (f == "argmax" || f == "argmin")
    return checkArgReduce(e, f == "argmax" ? Builtin::ArgMax : Builtin::ArgMin);
  if (f == "layernorm")
    return checkNorm(e, Builtin::LayerNorm);
  if (f == "rmsnorm")
    return checkNorm(e, Builtin::RMSNorm);
  if (f == "heads")
    return checkHeads(e);
  if (f == "unheads")
    return checkUnheads(e);
  if (f == "transpose")
    return checkPermute(e);
  if (f == "reshape")
    return checkReshape(e);
  if (f == "concat")
    return checkConcat(e);
  if (f == "stack")
    return checkStack(e);
  if (f == "topk_mask")
    return checkTopkMask(e);
  fail(e.loc, "unknown function '" + f + "'" + didYouMean(f, builtinFunctionNames()));
  return {};
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

Checked ModelChecker::checkElementwise(Expr &e, Builtin b) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{e.callee, {"x"}, 1}, kw))
    return {};
  Expr &x = *e.operands[0];
  Checked c = checkInput(e, true, 0, "its argument");
  if (!c.ok)
    return {};
  // Rounding gives an Int; abs keeps an Int; the rest compute a float.
  bool toInt = b == Builtin::Floor || b == Builtin::Ceil || b == Builtin::Round ||
               b == Builtin::Int;
  Elem in = elemOf(x.type, c.weak);
  Elem elem = toInt                                          ? intElem()
              : b == Builtin::Abs && in.kind == ElemKind::Int ? in
                                                             : toFloat(in);
  e.builtin = b;
  e.type = makeType(elem, x.type.shape);
  return {true, elem.weak};
}

Checked ModelChecker::checkMinMax(Expr &e, Builtin b) {
  if (e.operands.size() == 1)
    return checkReduceAxis(e, b == Builtin::Max2 ? ReduceKind::Max : ReduceKind::Min);
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{e.callee, {"a", "b"}, 2, false, {}, kMinMaxUsage}, kw))
    return {};
  Expr &a = *e.operands[0], &bb = *e.operands[1];
  Checked ca = expr(a);
  if (!ca.ok)
    return {};
  Checked cb = expr(bb);
  if (!cb.ok)
    return {};
  std::string what = "'" + e.callee + "'";
  if (!isNumber(a.type)) {
    needNumbers(e.loc, what, a, "argument 1");
    return {};
  }
  if (!isNumber(bb.type)) {
    needNumbers(e.loc, what, bb, "argument 2");
    return {};
  }
  Shape shape;
  if (!broadcast(e.loc, a, "argument 1", bb, "argument 2", shape))
    return {};
  Elem elem = promote(elemOf(a.type, ca.weak), elemOf(bb.type, cb.weak));
  e.builtin = b;
  e.type = makeType(elem, std::move(shape));
  return {true, elem.weak};
}

Checked ModelChecker::checkWhere(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{"where", {"cond", "a", "b"}, 3}, kw))
    return {};
  std::vector<Checked> c;
  if (!checkOperands(e, c))
    return {};
  Expr &cond = *e.operands[0], &a = *e.operands[1], &b = *e.operands[2];
  if (cond.type.kind != ElemKind::Bool) {
    fail(cond.loc, "the condition of 'where' must be boolean (a comparison), but " +
                       describeTyped(cond, "it"));
    return {};
  }
  if (!isNumber(a.type)) {
    needNumbers(e.loc, "'where'", a, "argument 2");
    return {};
  }
  if (!isNumber(b.type)) {
    needNumbers(e.loc, "'where'", b, "argument 3");
    return {};
  }
  const char *roles[] = {"the condition", "argument 2", "argument 3"};
  Shape shape;
  if (!broadcastThree(e, roles, shape))
    return {};
  Elem elem = promote(elemOf(a.type, c[1].weak), elemOf(b.type, c[2].weak));
  e.builtin = Builtin::Where;
  e.type = makeType(elem, std::move(shape));
  return {true, elem.weak};
}

bool ModelChecker::broadcastThree(Expr &e, const char *const roles[3], Shape &shape) {
  // Pairwise compatibility is the same as joint broadcasting, and lets the
  // message name the two arguments that disagree.
  for (int i = 0; i < 3; ++i)
    for (int j = i + 1; j < 3; ++j)
      if (!broadcast(e.loc, *e.operands[i], roles[i], *e.operands[j], roles[j], shape))
        return false;
  // The joint shape: broadcast all three in turn (known to succeed now).
  size_t ia, ib;
  broadcastShapes(e.operands[0]->type.shape, e.operands[1]->type.shape, shape, ia, ib);
  broadcastShapes(shape, e.operands[2]->type.shape, shape, ia, ib);
  return true;
}

Checked ModelChecker::checkClamp(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{"clamp", {"x", "lo", "hi"}, 3}, kw))
    return {};
  const char *roles[] = {"argument 1", "argument 2", "argument 3"};
  std::vector<Checked> c;
  if (!checkOperands(e, c))
    return {};
  for (int i = 0; i < 3; ++i)
    if (!isNumber(e.operands[i]->type)) {
      needNumbers(e.loc, "'clamp'", *e.operands[i], roles[i]);
      return {};
    }
  Shape shape;
  if (!broadcastThree(e, roles, shape))
    return {};
  Elem elem = elemOf(e.operands[0]->type, c[0].weak);
  for (int i = 1; i < 3; ++i)
    elem = promote(elem, elemOf(e.operands[i]->type, c[i].weak));
  e.builtin = Builtin::Clamp;
  e.type = makeType(elem, std::move(shape));
  return {true, elem.weak};
}

//===----------------------------------------------------------------------===//
// Tensor level
//===----------------------------------------------------------------------===//

Checked ModelChecker::checkInput(Expr &e, bool number, unsigned minRank,
                                 const std::string &role) {
  Expr &x = *e.operands[0];
  Checked c = expr(x);
  if (!c.ok)
    return {};
  const std::string what = "'" + e.callee + "'";
  if (number && !isNumber(x.type)) {
    needNumbers(e.loc, what, x, role);
    return {};
  }
  if (x.type.rank() < minRank) {
    needRank(e.loc, what, minRank, x, role);
    return {};
  }
  return c;
}

Checked ModelChecker::checkSoftmax(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{e.callee, {"x"}, 1, false, {"axis"}}, kw))
    return {};
  Expr &x = *e.operands[0];
  Checked c = checkInput(e, true, 1);
  if (!c.ok)
    return {};
  int64_t axis = (int64_t)x.type.rank() - 1;
  if (kw[0] && !readAxis(*kw[0], x.type.rank(), axis))
    return {};
  Elem elem = toFloat(elemOf(x.type, c.weak));
  e.builtin = e.callee == "softmax" ? Builtin::Softmax : Builtin::LogSoftmax;
  e.axis = axis;
  e.type = makeType(elem, x.type.shape);
  return {true, elem.weak};
}

/// `shape` without `axes` (sorted), or with extent 1 there when `keepdim`.
static Shape reducedShape(const Shape &shape, const std::vector<int64_t> &axes, bool keepdim) {
  Shape out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!std::binary_search(axes.begin(), axes.end(), (int64_t)i))
      out.push_back(shape[i]);
    else if (keepdim)
      out.push_back(DimExpr::constant(1));
  }
  return out;
}

Checked ModelChecker::checkReduceAxis(Expr &e, ReduceKind kind, bool logSumExp) {
  std::vector<Expr *> kw;
  Signature sig{e.callee, {"x"}, 1, false, {"axis", "keepdim"}};
  if (kind == ReduceKind::Max || kind == ReduceKind::Min)
    sig.usage = kMinMaxUsage;
  if (!bindArguments(e, sig, kw))
    return {};
  Expr &x = *e.operands[0];
  Checked c = checkInput(e, true, 0);
  if (!c.ok)
    return {};
  size_t rank = x.type.rank();
  std::vector<int64_t> axes;
  if (!kw[0]) {
    axes.resize(rank);
    std::iota(axes.begin(), axes.end(), 0);
  } else {
    std::vector<Expr *> items;
    if (kw[0]->kind == ExprKind::List)
      for (ExprPtr &item : kw[0]->operands)
        items.push_back(item.get());
    else
      items.push_back(kw[0]);
    for (Expr *item : items) {
      int64_t axis;
      if (!readAxis(*item, rank, axis))
        return {};
      if (std::find(axes.begin(), axes.end(), axis) != axes.end()) {
        fail(item->loc, "axis " + std::to_string(axis) + " is repeated");
        return {};
      }
      axes.push_back(axis);
    }
    std::sort(axes.begin(), axes.end());
  }
  bool keepdim = false;
  if (kw[1] && !readFlag(*kw[1], "keepdim", keepdim))
    return {};
  Shape shape = reducedShape(x.type.shape, axes, keepdim);
  Elem elem = elemOf(x.type, c.weak);
  if (kind == ReduceKind::Mean || logSumExp)
    elem = toFloat(elem);
  e.builtin = logSumExp ? Builtin::LogSumExp : Builtin::ReduceAxis;
  e.reduceKind = kind;
  e.axes = std::move(axes);
  e.keepdim = keepdim;
  e.type = makeType(elem, std::move(shape));
  return {true, elem.weak};
}

Checked ModelChecker::checkEinsum(Expr &e) {
  const std::string usage = " (as in einsum(\"ij,jk->ik\", a, b))";
  if (e.einsumText.empty()) {
    fail(e.loc, "'einsum' needs its subscripts as a string first" + usage);
    return {};
  }
  if (!e.kwargs.empty()) {
    fail(e.kwargs[0].loc, "'einsum' takes no keyword arguments");
    return {};
  }
  std::vector<Checked> c;
  if (!checkOperands(e, c))
    return {};
  // The subscripts: operands' letters separated by ',', then '->' and the
  // result's letters, or nothing (the letters used once, sorted, as NumPy).
  std::string text;
  for (char ch : e.einsumText)
    if (ch != ' ')
      text += ch;
  size_t arrow = text.find("->");
  std::string lhs = text.substr(0, arrow);
  std::vector<std::string> parts(1);
  for (char ch : lhs)
    if (ch == ',')
      parts.emplace_back();
    else
      parts.back() += ch;
  auto bad = [&](const std::string &why) {
    fail(e.loc, "einsum \"" + e.einsumText + "\": " + why);
    return Checked();
  };
  auto isLetter = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); };
  if (text.find('.') != std::string::npos)
    return bad("'...' is not supported; name every axis");
  if (parts.size() != e.operands.size())
    return bad("the subscripts name " + plural(parts.size(), "operand") + ", but " +
               plural(e.operands.size(), "tensor") + (e.operands.size() == 1 ? " is" : " are") +
               " given");
  EinsumSpec spec;
  std::string letters; // by id
  std::vector<std::string> firstUse;
  std::vector<int> uses;
  Elem elem;
  for (size_t i = 0; i < parts.size(); ++i) {
    Expr &x = *e.operands[i];
    if (!isNumber(x.type)) {
      needNumbers(e.loc, "'einsum'", x, argumentRole(i + 1));
      return {};
    }
    Elem xe = elemOf(x.type, c[i].weak);
    elem = i == 0 ? xe : promote(elem, xe);
    if (parts[i].size() != x.type.rank())
      return bad("'" + parts[i] + "' names " + std::to_string(parts[i].size()) +
                 (parts[i].size() == 1 ? " axis" : " axes") + ", but " +
                 describeTyped(x, argumentRole(i + 1)));
    std::vector<int> axes;
    for (size_t k = 0; k < parts[i].size(); ++k) {
      char ch = parts[i][k];
      if (!isLetter(ch))
        return bad(std::string("'") + ch + "' is not a letter");
      size_t id = letters.find(ch);
      std::string here = "axis " + std::to_string(k) + " of " + describe(x, argumentRole(i + 1));
      if (id == std::string::npos) {
        id = letters.size();
        letters += ch;
        spec.extents.push_back(x.type.shape[k]);
        firstUse.push_back(here);
        uses.push_back(0);
      } else if (spec.extents[id] != x.type.shape[k]) {
        return bad(std::string("'") + ch + "' is " + spec.extents[id].str(dimNames_) + " at " +
                   firstUse[id] + ", but " + x.type.shape[k].str(dimNames_) + " at " + here);
      }
      ++uses[id];
      axes.push_back((int)id);
    }
    spec.inputs.push_back(std::move(axes));
  }
  std::string out;
  if (arrow == std::string::npos) {
    for (size_t id = 0; id < letters.size(); ++id)
      if (uses[id] == 1)
        out += letters[id];
    std::sort(out.begin(), out.end());
  } else {
    out = text.substr(arrow + 2);
  }
  Shape shape;
  for (char ch : out) {
    size_t id = letters.find(ch);
    if (id == std::string::npos)
      return bad(std::string("the result's '") + ch + "' is no operand's");
    if (std::count(out.begin(), out.end(), ch) > 1)
      return bad(std::string("the result names '") + ch + "' twice");
    spec.output.push_back((int)id);
    shape.push_back(spec.extents[id]);
  }
  e.builtin = Builtin::Einsum;
  e.einsum = std::move(spec);
  e.type = makeType(elem, std::move(shape));
  return {true, elem.weak};
}

Checked ModelChecker::checkArgReduce(Expr &e, Builtin b) {
  std::vector<Expr *> kw;
  Signature sig{e.callee, {"x"}, 1, false, {"axis", "keepdim"}};
  if (!bindArguments(e, sig, kw))
    return {};
  Expr &x = *e.operands[0];
  if (!checkInput(e, true, 1).ok)
    return {};
  size_t rank = x.type.rank();
  std::vector<int64_t> axes;
  if (kw[0]) {
    int64_t axis;
    if (!readAxis(*kw[0], rank, axis))
      return {};
    axes.push_back(axis);
  } else {
    axes.resize(rank);
    std::iota(axes.begin(), axes.end(), 0);
  }
  bool keepdim = false;
  if (kw[1] && !readFlag(*kw[1], "keepdim", keepdim))
    return {};
  // An empty axis has no position to give: a run-time shape error.
  for (int64_t a : axes) {
    DimExpr::Failure why;
    auto rest = DimExpr::sub(x.type.shape[a], DimExpr::constant(1), &why);
    if (!rest) {
      dimFailure(e.loc, why);
      return {};
    }
    if (!requireNonNegative(*rest, e.loc, [&](int64_t) {
          return "'" + e.callee + "' needs at least one element along axis " + std::to_string(a);
        }))
      return {};
  }
  Shape shape = reducedShape(x.type.shape, axes, keepdim);
  e.builtin = b;
  e.axes = std::move(axes);
  e.keepdim = keepdim;
  e.type = makeType(intElem(), std::move(shape));
  return {true, false};
}

bool ModelChecker::readFlag(Expr &v, const char *keyword, bool &value) {
  if (v.kind != ExprKind::Name || (v.name != "true" && v.name != "false"))
    return fail(v.loc, std::string(keyword) + " must be true or false");
  value = v.name == "true";
  v.type = makeType(boolElem(), {});
  return true;
}

Checked ModelChecker::checkNorm(Expr &e, Builtin b) {
  bool layer = b == Builtin::LayerNorm;
  Signature sig = layer ? Signature{"layernorm", {"x", "gamma", "beta"}, 3, false, {"eps"}}
                        : Signature{"rmsnorm", {"x", "gamma"}, 2, false, {"eps"}};
  std::vector<Expr *> kw;
  if (!bindArguments(e, sig, kw))
    return {};
  std::string what = "'" + sig.name + "'";
  Elem elem;
  for (size_t i = 0; i < e.operands.size(); ++i) {
    Expr &arg = *e.operands[i];
    Checked c = expr(arg);
    if (!c.ok)
      return {};
    std::string role = i == 0 ? "its input" : sig.params[i];
    if (!isNumber(arg.type)) {
      needNumbers(e.loc, what, arg, role);
      return {};
    }
    Elem ae = elemOf(arg.type, c.weak);
    elem = i == 0 ? ae : promote(elem, ae);
  }
  Expr &x = *e.operands[0];
  if (x.type.rank() < 1) {
    needRank(e.loc, what, 1, x, "its input");
    return {};
  }
  const DimExpr &last = x.type.shape.back();
  for (size_t i = 1; i < e.operands.size(); ++i) {
    const Expr &p = *e.operands[i];
    const Shape &s = p.type.shape;
    bool fits = s.empty() || (s.size() == 1 && (s[0] == last || isOne(s[0])));
    if (!fits) {
      fail(e.loc, what + " needs " + sig.params[i] + " of shape [" + last.str(dimNames_) +
                      "] to match the last axis of " + describe(x, "its input") + ", but " +
                      describeTyped(p, sig.params[i]));
      return {};
    }
  }
  e.eps = layer ? 1e-5 : 1e-6;
  if (Expr *eps = kw[0]) {
    if (eps->kind != ExprKind::Number || !std::isfinite(eps->numberValue) ||
        eps->numberValue < 0) {
      fail(eps->loc, "eps must be a non-negative number literal");
      return {};
    }
    checkNumber(*eps);
    e.eps = eps->numberValue;
  }
  elem = toFloat(elem);
  e.builtin = b;
  e.type = makeType(elem, x.type.shape);
  return {true, elem.weak};
}

Checked ModelChecker::checkHeads(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{"heads", {"x", "H"}, 2}, kw))
    return {};
  Expr &x = *e.operands[0];
  Checked c = checkInput(e, false, 2);
  if (!c.ok)
    return {};
  DimExpr h;
  if (!readPositiveDim(*e.operands[1], "heads", "H", h))
    return {};
  const Shape &in = x.type.shape;
  const DimExpr &last = in.back();
  DimExpr::Failure why;
  auto d = DimExpr::div(last, h, &why);
  if (!d) {
    if (why == DimExpr::Failure::NotExact)
      fail(e.loc, "'heads' cannot split the last axis of " + describe(x, "its input") + " (" +
                      last.str(dimNames_) + ") into " + h.str(dimNames_) + " heads");
    else
      dimFailure(e.loc, why);
    return {};
  }
  // [..., S, H*D] -> [..., H, S, D]
  Shape shape(in.begin(), in.end() - 2);
  shape.push_back(h);
  shape.push_back(in[in.size() - 2]);
  shape.push_back(std::move(*d));
  e.builtin = Builtin::Heads;
  e.dimArg = h;
  e.type = makeType(elemOf(x.type, c.weak), std::move(shape));
  return {true, c.weak};
}

Checked ModelChecker::checkUnheads(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{"unheads", {"x"}, 1}, kw))
    return {};
  Expr &x = *e.operands[0];
  Checked c = checkInput(e, false, 3);
  if (!c.ok)
    return {};
  // [..., H, S, D] -> [..., S, H*D]
  const Shape &in = x.type.shape;
  size_t r = in.size();
  DimExpr::Failure why;
  auto hd = DimExpr::mul(in[r - 3], in[r - 1], &why);
  if (!hd) {
    dimFailure(e.loc, why);
    return {};
  }
  Shape shape(in.begin(), in.end() - 3);
  shape.push_back(in[r - 2]);
  shape.push_back(std::move(*hd));
  e.builtin = Builtin::Unheads;
  e.type = makeType(elemOf(x.type, c.weak), std::move(shape));
  return {true, c.weak};
}

Checked ModelChecker::checkPermute(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{"transpose", {"x", "perm"}, 1}, kw))
    return {};
  Expr &x = *e.operands[0];
  Checked c = checkInput(e, false, 0);
  if (!c.ok)
    return {};
  size_t rank = x.type.rank();
  std::vector<int64_t> perm;
  if (e.operands.size() == 1) {
    for (size_t i = rank; i-- > 0;) // like numpy: reverse the axes
      perm.push_back((int64_t)i);
  } else {
    Expr &list = *e.operands[1];
    if (list.kind != ExprKind::List) {
      fail(list.loc, "the permutation of 'transpose' must be a list, like [0, 2, 1]");
      return {};
    }
    for (ExprPtr &item : list.operands) {
      int64_t axis;
      if (!readAxis(*item, rank, axis))
        return {};
      perm.push_back(axis);
    }
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    bool isPerm = sorted.size() == rank;
    for (size_t i = 0; isPerm && i < rank; ++i)
      isPerm = sorted[i] == (int64_t)i;
    if (!isPerm) {
      fail(list.loc, "'transpose' needs a permutation of the " + std::to_string(rank) +
                         (rank == 1 ? " axis" : " axes") + " of " + describe(x, "its input") +
                         ", but got " + printExpr(list));
      return {};
    }
  }
  Shape shape;
  for (int64_t p : perm)
    shape.push_back(x.type.shape[p]);
  e.builtin = Builtin::Permute;
  e.perm = std::move(perm);
  e.type = makeType(elemOf(x.type, c.weak), std::move(shape));
  return {true, c.weak};
}

Checked ModelChecker::checkReshape(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{"reshape", {"x", "shape"}, 2}, kw))
    return {};
  Expr &x = *e.operands[0];
  Checked c = checkInput(e, false, 0);
  if (!c.ok)
    return {};
  Expr &list = *e.operands[1];
  if (list.kind != ExprKind::List) {
    fail(list.loc, "the shape of 'reshape' must be a list, like [B, S, 64]");
    return {};
  }
  DimExpr::Failure why;
  auto failed = [&] {
    dimFailure(e.loc, why);
    return Checked{};
  };
  Shape shape;
  int inferred = -1; // the position of a `-1` entry
  DimExpr known = DimExpr::constant(1);
  for (size_t i = 0; i < list.operands.size(); ++i) {
    Expr &item = *list.operands[i];
    int64_t v;
    if (integerLiteral(item, v) && v == -1) {
      if (inferred >= 0) {
        fail(item.loc, "'reshape' accepts at most one -1 extent");
        return {};
      }
      setIntScalar(item);
      setIntScalar(*item.operands[0]);
      inferred = (int)i;
      shape.push_back(DimExpr());
      continue;
    }
    auto d = dimExpr(item);
    if (!d || !checkExtent(*d, item))
      return {};
    auto k = DimExpr::mul(known, *d, &why);
    if (!k)
      return failed();
    known = std::move(*k);
    shape.push_back(std::move(*d));
  }
  DimExpr total = DimExpr::constant(1);
  for (const DimExpr &d : x.type.shape) {
    auto t = DimExpr::mul(total, d, &why);
    if (!t)
      return failed();
    total = std::move(*t);
  }
  if (inferred >= 0) {
    auto q = DimExpr::div(total, known, &why);
    if (!q) {
      if (why != DimExpr::Failure::NotExact)
        return failed();
      fail(e.loc, "'reshape' cannot infer the -1 extent: " + describe(x, "its input") + " has " +
                      total.str(dimNames_) + " elements, which is not a multiple of " +
                      known.str(dimNames_));
      return {};
    }
    shape[inferred] = std::move(*q);
  } else if (total != known) {
    fail(e.loc, "'reshape' changes the number of elements: " + describeTyped(x, "its input") +
                    " (" + total.str(dimNames_) + " elements) but the new shape " +
                    shapeToString(shape, dimNames_) + " has " + known.str(dimNames_));
    return {};
  }
  e.builtin = Builtin::Reshape;
  e.shapeArg = shape;
  e.type = makeType(elemOf(x.type, c.weak), std::move(shape));
  return {true, c.weak};
}

bool ModelChecker::checkOperands(Expr &e, std::vector<Checked> &c) {
  for (ExprPtr &arg : e.operands) {
    c.push_back(expr(*arg));
    if (!c.back().ok)
      return false;
  }
  return true;
}

Checked ModelChecker::checkStack(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{"stack", {"a", "b"}, 2, true, {"axis"}}, kw))
    return {};
  std::vector<Checked> c;
  if (!checkOperands(e, c))
    return {};
  Expr &first = *e.operands[0];
  Elem elem = elemOf(first.type, c[0].weak);
  for (size_t i = 0; i < e.operands.size(); ++i) {
    Expr &arg = *e.operands[i];
    if (!isNumber(arg.type)) {
      needNumbers(e.loc, "'stack'", arg, argumentRole(i));
      return {};
    }
    if (i == 0)
      continue;
    if (arg.type.shape != first.type.shape) {
      mismatch(e.loc, first, argumentRole(0), arg, argumentRole(i), "'stack' needs equal shapes");
      return {};
    }
    elem = promote(elem, elemOf(arg.type, c[i].weak));
  }
  // The new axis may also go after the last one.
  int64_t axis = 0;
  if (kw[0] && !readAxis(*kw[0], first.type.rank() + 1, axis))
    return {};
  Shape shape = first.type.shape;
  shape.insert(shape.begin() + axis, DimExpr::constant((int64_t)e.operands.size()));
  e.builtin = Builtin::Stack;
  e.axis = axis;
  e.type = makeType(elem, std::move(shape));
  return {true, elem.weak};
}

Checked ModelChecker::checkConcat(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{"concat", {"a", "b"}, 2, true, {"axis"}}, kw))
    return {};
  std::vector<Checked> c;
  if (!checkOperands(e, c))
    return {};
  Expr &first = *e.operands[0];
  bool boolean = first.type.kind == ElemKind::Bool;
  for (size_t i = 1; i < e.operands.size(); ++i) {
    Expr &arg = *e.operands[i];
    if ((arg.type.kind == ElemKind::Bool) != boolean) {
      Expr &b = boolean ? first : arg;
      needNumbers(e.loc, "'concat'", b, argumentRole(boolean ? 0 : i));
      return {};
    }
  }
  size_t rank = first.type.rank();
  if (rank < 1) {
    needRank(e.loc, "'concat'", 1, first, argumentRole(0));
    return {};
  }
  int64_t axis = 0;
  if (kw[0] && !readAxis(*kw[0], rank, axis))
    return {};
  Shape shape = first.type.shape;
  Elem elem = elemOf(first.type, c[0].weak);
  for (size_t i = 1; i < e.operands.size(); ++i) {
    Expr &arg = *e.operands[i];
    if (arg.type.rank() != rank) {
      mismatch(e.loc, first, argumentRole(0), arg, argumentRole(i), "'concat' needs equal ranks");
      return {};
    }
    // Off the axis, extents agree or broadcast from 1.
    for (size_t k = 0; k < rank; ++k) {
      const DimExpr &extent = arg.type.shape[k];
      if ((int64_t)k == axis || extent == shape[k] || extent == DimExpr::constant(1))
        continue;
      if (shape[k] == DimExpr::constant(1)) {
        shape[k] = extent;
        continue;
      }
      mismatch(e.loc, first, argumentRole(0), arg, argumentRole(i),
               axesDiffer(first.type.shape, k, arg.type.shape, k, dimNames_));
      return {};
    }
    DimExpr::Failure why;
    auto sum = DimExpr::add(shape[axis], arg.type.shape[axis], &why);
    if (!sum) {
      dimFailure(e.loc, why);
      return {};
    }
    shape[axis] = std::move(*sum);
    if (!boolean)
      elem = promote(elem, elemOf(arg.type, c[i].weak));
  }
  e.builtin = Builtin::Concat;
  e.axis = axis;
  e.type = makeType(elem, std::move(shape));
  return {true, elem.weak};
}

Checked ModelChecker::checkTopkMask(Expr &e) {
  std::vector<Expr *> kw;
  if (!bindArguments(e, Signature{"topk_mask", {"x", "K"}, 2}, kw))
    return {};
  Expr &x = *e.operands[0];
  Checked c = checkInput(e, true, 1);
  if (!c.ok)
    return {};
  DimExpr k;
  if (!readPositiveDim(*e.operands[1], "topk_mask", "K", k))
    return {};
  auto kc = k.getConstant(), last = x.type.shape.back().getConstant();
  if (kc && last && *kc > *last) {
    fail(e.operands[1]->loc, "'topk_mask' keeps " + std::to_string(*kc) +
                                 " entries, but the last axis of " + describe(x, "its input") +
                                 " has only " + std::to_string(*last));
    return {};
  }
  Elem elem = toFloat(elemOf(x.type, c.weak));
  e.builtin = Builtin::TopkMask;
  e.dimArg = k;
  e.type = makeType(elem, x.type.shape);
  return {true, elem.weak};
}

} // namespace attnc
