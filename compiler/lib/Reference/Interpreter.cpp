//===- Interpreter.cpp - The reference interpreter --------------*- C++ -*-===//
//
// Walks the checked AST. Declarations are evaluated in order into whole
// tensors. Inside comprehensions and reductions, scalar expressions are
// evaluated element by element with the index variables bound; any
// sub-expression that uses no index variable is evaluated once as a whole
// tensor and cached until the declaration is done.
//
//===----------------------------------------------------------------------===//

#include "attnc/Reference/Interpreter.h"

#include "Kernels.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <unordered_map>

namespace attnc::ref {

using namespace detail;
using ast::BinaryOp;
using ast::Builtin;
using ast::Decl;
using ast::DeclKind;
using ast::ElemKind;
using ast::Expr;
using ast::ExprKind;
using ast::RefKind;
using ast::SliceAxis;

bool evaluateShape(const Shape &shape, const std::vector<int64_t> &dimValues,
                   std::vector<int64_t> &out) {
  out.clear();
  int64_t count = 1;
  for (const DimExpr &e : shape) {
    int64_t v = 0;
    if (!e.evaluate(dimValues, v) || v < 0)
      return false;
    if (__builtin_mul_overflow(count, v, &count))
      return false;
    out.push_back(v);
  }
  return true;
}

namespace {

// Float `%` follows Python too: the result takes the divisor's sign.
double floatMod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

double applyBinary(BinaryOp op, bool integer, double a, double b) {
  switch (op) {
  case BinaryOp::Add: return integer ? integerArithmetic(op, a, b) : a + b;
  case BinaryOp::Sub: return integer ? integerArithmetic(op, a, b) : a - b;
  case BinaryOp::Mul: return integer ? integerArithmetic(op, a, b) : a * b;
  case BinaryOp::Div: return integer ? integerArithmetic(op, a, b) : a / b;
  case BinaryOp::Mod: return integer ? integerArithmetic(op, a, b) : floatMod(a, b);
  case BinaryOp::Pow: return integer ? std::trunc(std::pow(a, b)) : std::pow(a, b);
  case BinaryOp::Lt: return a < b;
  case BinaryOp::Le: return a <= b;
  case BinaryOp::Gt: return a > b;
  case BinaryOp::Ge: return a >= b;
  case BinaryOp::Eq: return a == b;
  case BinaryOp::Ne: return a != b;
  case BinaryOp::And: return a != 0 && b != 0;
  case BinaryOp::Or: return a != 0 || b != 0;
  case BinaryOp::MatMul: break;
  }
  fail("internal error: matmul reached the elementwise path");
}

bool isElementwise(Builtin b) {
  switch (b) {
  case Builtin::Exp: case Builtin::Log: case Builtin::Sqrt: case Builtin::Rsqrt:
  case Builtin::Abs: case Builtin::Tanh: case Builtin::Sigmoid: case Builtin::Relu:
  case Builtin::Gelu: case Builtin::Sin: case Builtin::Cos: case Builtin::Silu:
  case Builtin::Softplus: case Builtin::Erf: case Builtin::Floor: case Builtin::Ceil:
  case Builtin::Round: case Builtin::Int:
  case Builtin::Max2: case Builtin::Min2: case Builtin::Where: case Builtin::Clamp:
    return true;
  default:
    return false;
  }
}

double maxPropagatingNaN(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? a + b : std::max(a, b);
}
double minPropagatingNaN(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? a + b : std::min(a, b);
}

// An integral float as an Int: saturated to the values an i32 holds, NaN 0.
double saturatedInt(double r) {
  if (std::isnan(r))
    return 0;
  return std::min(std::max(r, -2147483648.0), 2147483647.0);
}

// `v` holds one value per operand of an elementwise built-in. Max and min
// propagate NaN, as numpy.maximum/minimum do.
double applyElementwise(Builtin b, const double *v) {
  double x = v[0];
  switch (b) {
  case Builtin::Exp: return std::exp(x);
  case Builtin::Log: return std::log(x);
  case Builtin::Sqrt: return std::sqrt(x);
  case Builtin::Rsqrt: return 1.0 / std::sqrt(x);
  case Builtin::Abs: return std::fabs(x);
  case Builtin::Tanh: return std::tanh(x);
  case Builtin::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
  case Builtin::Relu: return std::isnan(x) ? x : (x > 0 ? x : 0.0);
  case Builtin::Gelu: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case Builtin::Sin: return std::sin(x);
  case Builtin::Cos: return std::cos(x);
  case Builtin::Silu: return x / (1.0 + std::exp(-x));
  case Builtin::Softplus: return std::isnan(x) ? x : std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
  case Builtin::Erf: return std::erf(x);
  case Builtin::Floor: return saturatedInt(std::floor(x));
  case Builtin::Ceil: return saturatedInt(std::ceil(x));
  case Builtin::Round: return saturatedInt(std::nearbyint(x));  // ties to even
  case Builtin::Int: return saturatedInt(std::trunc(x));
  case Builtin::Max2: return maxPropagatingNaN(x, v[1]);
  case Builtin::Min2: return minPropagatingNaN(x, v[1]);
  case Builtin::Where: return x != 0 ? v[1] : v[2];
  case Builtin::Clamp: return minPropagatingNaN(maxPropagatingNaN(x, v[1]), v[2]);
  default: break;
  }
  fail("internal error: not an elementwise built-in");
}

class Evaluator {
public:
  Evaluator(const ast::Model &model, const std::vector<int64_t> &dims)
      : model_(model), dims_(dims) {}

  void run(const std::vector<Tensor> &inputs, std::vector<Tensor> &outputs);

private:
  // Set-up checks.
  void validate();
  void validateExpr(const Expr &e, size_t declIndex);
  void checkDims();
  void evaluateIndexExtents();
  std::string dimsString() const;
  int64_t evalDim(const DimExpr &e, const char *what) const;
  std::vector<int64_t> evalShape(const Shape &s, const std::string &what) const;

  // Declarations.
  Tensor evalDecl(const Decl &d);
  Tensor evalComprehension(const Decl &d);

  // Expressions. `tensorRef` returns a reference to a stored value (a
  // declaration, a cache entry) or to `scratch` after filling it.
  const Tensor &tensorRef(const Expr &e, Tensor &scratch);
  Tensor computeTensor(const Expr &e);
  double scalar(const Expr &e);
  Tensor callTensor(const Expr &e);
  double reduceScalar(const Expr &e);
  Tensor reduceTensor(const Expr &e);
  double subscriptScalar(const Expr &e);
  Tensor subscriptTensor(const Expr &e);
  /// `x[a:b, k, ...]`: the checker made every bound lie within its axis,
  /// and checkDims verified its run-time checks.
  Tensor sliceTensor(const Expr &e);
  /// The flat offset of the element (or leading-axes block) read by a
  /// subscript, or -1 when any subscript is out of bounds.
  int64_t subscriptOffset(const Expr &e, const Tensor &base);

  bool usesNoIndex(const Expr &e);
  void collectFreeIndices(const Expr &e, std::vector<int> &bound, bool &found);

  const ast::Model &model_;
  const std::vector<int64_t> &dims_;
  std::vector<Tensor> values_;          // per declaration
  std::vector<int64_t> indexExtents_;   // per index variable
  std::vector<int64_t> indexValues_;    // current binding of each index variable
  int loopDepth_ = 0;                   // > 0 inside a comprehension or reduction
  std::unordered_map<const Expr *, Tensor> cache_;
  std::unordered_map<const Expr *, bool> indexFree_;
};

std::string Evaluator::dimsString() const {
  std::string s;
  for (size_t i = 0; i < model_.dims.size(); ++i)
    s += (i ? ", " : "") + model_.dims[i].name + "=" + std::to_string(dims_[i]);
  return s;
}

int64_t Evaluator::evalDim(const DimExpr &e, const char *what) const {
  int64_t v = 0;
  if (!e.evaluate(dims_, v))
    fail(std::string(what) + " " + e.str(model_.dimNames()) +
         " overflows or does not divide exactly (" + dimsString() + ")");
  return v;
}

std::vector<int64_t> Evaluator::evalShape(const Shape &s, const std::string &what) const {
  std::vector<int64_t> out;
  if (!evaluateShape(s, dims_, out)) {
    std::string text;
    for (size_t i = 0; i < s.size(); ++i)
      text += (i ? ", " : "") + s[i].str(model_.dimNames());
    fail("the shape [" + text + "] of " + what +
         " overflows, does not divide exactly or is negative (" + dimsString() + ")");
  }
  return out;
}

// The checker guarantees a well-formed tree; verifying the few facts the
// evaluation indexes with (reference ids, operand counts) once up front keeps
// a checker bug from turning into an out-of-bounds access later.
void Evaluator::validate() {
  for (size_t i = 0; i < model_.decls.size(); ++i) {
    const Decl &d = model_.decls[i];
    for (int id : d.indices)
      if (id < 0 || static_cast<size_t>(id) >= model_.indexVars.size())
        fail("internal error: '" + d.name + "' has an unknown index variable");
    if (d.isTensorInput())
      continue;
    if (!d.value)
      fail("internal error: '" + d.name + "' has no value");
    validateExpr(*d.value, i);
  }
}

void Evaluator::validateExpr(const Expr &e, size_t declIndex) {
  auto malformed = [&](const std::string &what) {
    fail("internal error: " + what + " at line " + std::to_string(e.loc.line) + ":" +
         std::to_string(e.loc.col));
  };
  size_t operands = 0;
  switch (e.kind) {
  case ExprKind::Unary: case ExprKind::Reduce: case ExprKind::Subscript:
  case ExprKind::Transpose: case ExprKind::Call:
    operands = 1;
    break;
  case ExprKind::Slice:
    operands = 1;
    if (e.operands.empty() || e.sliceAxes.size() != e.operands[0]->type.rank())
      malformed("a slice does not cover its base's axes");
    break;
  case ExprKind::Binary:
    operands = 2;
    break;
  default:
    break;
  }
  if (e.operands.size() < operands)
    malformed("an expression lacks operands");
  for (const auto &op : e.operands) {
    if (!op)
      malformed("an expression has a null operand");
    validateExpr(*op, declIndex);
  }
  auto inRange = [](int id, size_t size) { return id >= 0 && static_cast<size_t>(id) < size; };
  if (e.kind == ExprKind::Name) {
    bool ok = (e.refKind == RefKind::Dim && inRange(e.refId, model_.dims.size())) ||
              (e.refKind == RefKind::Decl && inRange(e.refId, declIndex)) ||
              (e.refKind == RefKind::Index && inRange(e.refId, model_.indexVars.size()));
    if (!ok)
      malformed("'" + e.name + "' is unresolved or used before its definition");
  }
  for (int id : e.boundIndices)
    if (!inRange(id, model_.indexVars.size()))
      malformed("a reduction binds an unknown index variable");
}

void Evaluator::checkDims() {
  if (dims_.size() != model_.dims.size())
    fail("model '" + model_.name + "' has " + std::to_string(model_.dims.size()) +
         " dims but " + std::to_string(dims_.size()) + " values were given");
  for (size_t i = 0; i < dims_.size(); ++i) {
    const ast::DimDecl &d = model_.dims[i];
    if (dims_[i] < 0)
      fail("dim " + d.name + " is negative (" + std::to_string(dims_[i]) + ")");
    if (d.isFixed && dims_[i] != d.fixedValue)
      fail("dim " + d.name + " is fixed to " + std::to_string(d.fixedValue) + " but " +
           std::to_string(dims_[i]) + " was given");
  }
  for (const DimExpr &check : model_.shapeChecks)
    if (int64_t v = evalDim(check, "dim expression"); v < 0)
      fail("shape check '" + check.str(model_.dimNames()) + "' is negative (" + std::to_string(v) +
           ") with " + dimsString());
}

void Evaluator::evaluateIndexExtents() {
  for (const ast::IndexVar &iv : model_.indexVars) {
    int64_t v = evalDim(iv.extent, ("the extent of index '" + iv.name + "',").c_str());
    if (v < 0)
      fail("index '" + iv.name + "' has a negative extent (" + std::to_string(v) + ")");
    indexExtents_.push_back(v);
  }
  indexValues_.assign(indexExtents_.size(), 0);
}

void Evaluator::run(const std::vector<Tensor> &inputs, std::vector<Tensor> &outputs) {
  validate();
  checkDims();
  evaluateIndexExtents();
  size_t nextInput = 0;
  size_t expectedInputs = 0;
  for (const Decl &d : model_.decls)
    expectedInputs += d.isTensorInput();
  if (inputs.size() != expectedInputs)
    fail("model '" + model_.name + "' takes " + std::to_string(expectedInputs) +
         " inputs and params but " + std::to_string(inputs.size()) + " were given");

  values_.reserve(model_.decls.size());
  for (const Decl &d : model_.decls) {
    std::string where = "'" + d.name + "' (line " + std::to_string(d.loc.line) + ")";
    if (d.isTensorInput()) {
      const Tensor &t = inputs[nextInput++];
      std::vector<int64_t> expected = evalShape(d.shape, where);
      int64_t count = 0;
      std::string error;
      if (t.shape != expected || !elementCount(t.shape, count, error) ||
          static_cast<int64_t>(t.data.size()) != count)
        fail(std::string(d.kind == DeclKind::Input ? "input " : "param ") + where +
             " is given with shape " + shapeString(t.shape) + " and " +
             std::to_string(t.data.size()) + " values but the model expects " +
             shapeString(expected));
      try {
        values_.push_back(t);
      } catch (const std::bad_alloc &) {
        fail("out of memory copying " + where + " of shape " + shapeString(t.shape) + " (" +
             std::to_string(t.data.size() * sizeof(double)) + " bytes)");
      }
      continue;
    }
    try {
      values_.push_back(evalDecl(d));
    } catch (const EvalError &e) {
      throw EvalError("in " + where + ": " + e.what());
    } catch (const std::bad_alloc &) {
      throw EvalError("in " + where + ": out of memory");
    }
    cache_.clear();
    std::vector<int64_t> typeShape = evalShape(d.type.shape, where);
    if (values_.back().shape != typeShape)
      fail("internal error: " + where + " evaluated to shape " +
           shapeString(values_.back().shape) + " but its type has " + shapeString(typeShape));
  }
  outputs.clear();
  for (size_t i = 0; i < model_.decls.size(); ++i)
    if (model_.decls[i].kind == DeclKind::Output) {
      outputs.push_back(values_[i]);
      // An Int output is stored as i32: the low 32 bits of the integer.
      if (model_.decls[i].type.kind == ElemKind::Int)
        for (double &v : outputs.back().data)
          v = static_cast<double>(static_cast<int32_t>(
              static_cast<uint32_t>(static_cast<uint64_t>(static_cast<int64_t>(v)))));
    }
}

Tensor Evaluator::evalDecl(const Decl &d) {
  if (!d.value)
    fail("internal error: declaration without a value");
  if (!d.indices.empty())
    return evalComprehension(d);
  Tensor scratch;
  const Tensor &t = tensorRef(*d.value, scratch);
  return &t == &scratch ? std::move(scratch) : t;
}

Tensor Evaluator::evalComprehension(const Decl &d) {
  std::vector<int64_t> extents;
  for (int id : d.indices)
    extents.push_back(indexExtents_[id]);
  const Expr &body = *d.value;
  std::vector<int64_t> inner = evalShape(body.type.shape, "the body of '" + d.name + "'");
  std::vector<int64_t> shape = extents;
  shape.insert(shape.end(), inner.begin(), inner.end());
  Tensor out = makeTensor(shape);
  size_t block = 1;
  for (int64_t e : inner)
    block *= static_cast<size_t>(e);  // bounded: `out` was allocated
  if (out.data.empty())
    return out;

  ++loopDepth_;
  size_t flat = 0;
  for (MultiIndex it(extents); !it.done(); it.next()) {
    for (size_t k = 0; k < extents.size(); ++k)
      indexValues_[d.indices[k]] = it.index()[k];
    if (inner.empty()) {
      out.data[flat++] = scalar(body);
      continue;
    }
    Tensor scratch;
    const Tensor &v = tensorRef(body, scratch);
    if (v.shape != inner)
      fail("internal error: comprehension body has shape " + shapeString(v.shape) +
           ", expected " + shapeString(inner));
    std::copy(v.data.begin(), v.data.end(), out.data.begin() + flat);
    flat += block;
  }
  --loopDepth_;
  return out;
}

void Evaluator::collectFreeIndices(const Expr &e, std::vector<int> &bound, bool &found) {
  if (found)
    return;
  if (e.kind == ExprKind::Name && e.refKind == RefKind::Index) {
    if (std::find(bound.begin(), bound.end(), e.refId) == bound.end())
      found = true;
    return;
  }
  size_t mark = bound.size();
  if (e.kind == ExprKind::Reduce)
    bound.insert(bound.end(), e.boundIndices.begin(), e.boundIndices.end());
  for (const auto &op : e.operands)
    if (op)
      collectFreeIndices(*op, bound, found);
  bound.resize(mark);
}

bool Evaluator::usesNoIndex(const Expr &e) {
  auto it = indexFree_.find(&e);
  if (it != indexFree_.end())
    return it->second;
  std::vector<int> bound;
  bool found = false;
  collectFreeIndices(e, bound, found);
  indexFree_.emplace(&e, !found);
  return !found;
}

const Tensor &Evaluator::tensorRef(const Expr &e, Tensor &scratch) {
  if (e.kind == ExprKind::Name && e.refKind == RefKind::Decl)
    return values_[e.refId];  // validated: an earlier declaration
  // Inside a loop, a value that uses no index variable is the same on every
  // iteration: compute it once.
  bool cacheable = loopDepth_ > 0 && e.kind != ExprKind::Number &&
                   e.kind != ExprKind::Name && usesNoIndex(e);
  if (!cacheable) {
    scratch = computeTensor(e);
    return scratch;
  }
  auto it = cache_.find(&e);
  if (it != cache_.end())
    return it->second;
  Tensor value = computeTensor(e);
  return cache_.emplace(&e, std::move(value)).first->second;
}

double Evaluator::scalar(const Expr &e) {
  if (e.type.rank() == 0) {
    switch (e.kind) {
    case ExprKind::Number:
      return e.isInteger ? static_cast<double>(e.intValue) : e.numberValue;
    case ExprKind::Name:
      if (e.refKind == RefKind::Dim)
        return static_cast<double>(dims_[e.refId]);
      if (e.refKind == RefKind::Index)
        return static_cast<double>(indexValues_[e.refId]);
      break;
    case ExprKind::Unary: {
      double v = scalar(*e.operands[0]);
      return e.unaryOp == ast::UnaryOp::Neg ? -v : (v == 0 ? 1.0 : 0.0);
    }
    case ExprKind::Binary:
      if (e.binaryOp != BinaryOp::MatMul)
        return applyBinary(e.binaryOp, e.type.kind == ElemKind::Int, scalar(*e.operands[0]),
                           scalar(*e.operands[1]));
      break;
    case ExprKind::Call:
      if (isElementwise(e.builtin) && e.operands.size() <= 3) {
        double v[3] = {0, 0, 0};
        for (size_t i = 0; i < e.operands.size(); ++i)
          v[i] = scalar(*e.operands[i]);
        return applyElementwise(e.builtin, v);
      }
      break;
    case ExprKind::Reduce:
      if (loopDepth_ == 0 || !usesNoIndex(e))
        return reduceScalar(e);
      break;  // index-free inside a loop: cached below
    case ExprKind::Subscript:
      return subscriptScalar(e);
    default:
      break;
    }
  }
  Tensor scratch;
  const Tensor &t = tensorRef(e, scratch);
  if (t.data.size() != 1)
    fail("internal error: expected a scalar, got shape " + shapeString(t.shape));
  return t.data[0];
}

Tensor Evaluator::computeTensor(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Number:
    return scalarTensor(e.isInteger ? static_cast<double>(e.intValue) : e.numberValue);
  case ExprKind::Name:
    if (e.refKind == RefKind::Decl) {
      Tensor scratch;
      return tensorRef(e, scratch);
    }
    if (e.refKind == RefKind::Dim)
      return scalarTensor(static_cast<double>(dims_[e.refId]));
    if (e.refKind == RefKind::Index)
      return scalarTensor(static_cast<double>(indexValues_[e.refId]));
    fail("internal error: unresolved name '" + e.name + "'");
  case ExprKind::Unary: {
    Tensor scratch;
    const Tensor &x = tensorRef(*e.operands[0], scratch);
    bool neg = e.unaryOp == ast::UnaryOp::Neg;
    return broadcastMap({&x}, [neg](const double *v) { return neg ? -v[0] : (v[0] == 0 ? 1.0 : 0.0); });
  }
  case ExprKind::Binary: {
    Tensor sa, sb;
    const Tensor &a = tensorRef(*e.operands[0], sa);
    const Tensor &b = tensorRef(*e.operands[1], sb);
    if (e.binaryOp == BinaryOp::MatMul)
      return matmul(a, b, e.type.kind == ElemKind::Int);
    BinaryOp op = e.binaryOp;
    bool integer = e.type.kind == ElemKind::Int;
    return broadcastMap({&a, &b}, [op, integer](const double *v) {
      return applyBinary(op, integer, v[0], v[1]);
    });
  }
  case ExprKind::Call:
    return callTensor(e);
  case ExprKind::Reduce:
    return reduceTensor(e);
  case ExprKind::Subscript:
    return subscriptTensor(e);
  case ExprKind::Slice:
    return sliceTensor(e);
  case ExprKind::Transpose: {
    Tensor scratch;
    return swapLastAxes(tensorRef(*e.operands[0], scratch));
  }
  case ExprKind::List:
    break;
  }
  fail("internal error: a list is not a value");
}

Tensor Evaluator::callTensor(const Expr &e) {
  if (e.operands.empty())
    fail("internal error: call of '" + e.callee + "' without operands");
  std::vector<Tensor> scratch(e.operands.size());
  std::vector<const Tensor *> args;
  auto arg = [&](size_t i) -> const Tensor & {
    if (i >= e.operands.size())
      fail("internal error: '" + e.callee + "' is missing an operand");
    return tensorRef(*e.operands[i], scratch[i]);
  };

  if (isElementwise(e.builtin)) {
    // The checker bound exactly the operands the built-in takes.
    for (size_t i = 0; i < e.operands.size(); ++i)
      args.push_back(&arg(i));
    Builtin b = e.builtin;
    return broadcastMap(args, [b](const double *v) { return applyElementwise(b, v); });
  }
  switch (e.builtin) {
  case Builtin::Softmax:
    return softmax(arg(0), e.axis);
  case Builtin::LogSoftmax:
    return logSoftmax(arg(0), e.axis);
  case Builtin::ReduceAxis: {
    // arg() evaluates its operand each time it is called: once here.
    const Tensor &x = arg(0);
    Tensor r = reduceAxes(x, e.axes, e.reduceKind, e.type.kind == ElemKind::Int);
    return e.keepdim ? keepAxes(r, x.shape, e.axes) : r;
  }
  case Builtin::Einsum: {
    std::vector<int64_t> extents;
    for (const DimExpr &d : e.einsum.extents)
      extents.push_back(evalDim(d, "an einsum letter's extent"));
    for (size_t i = 0; i < e.operands.size(); ++i)
      args.push_back(&arg(i));
    return einsum(args, e.einsum.inputs, e.einsum.output, extents);
  }
  case Builtin::ArgMax:
  case Builtin::ArgMin: {
    const Tensor &x = arg(0);
    Tensor r = argReduce(x, e.axes, e.builtin == Builtin::ArgMax);
    return e.keepdim ? keepAxes(r, x.shape, e.axes) : r;
  }
  case Builtin::LogSumExp: {
    Tensor kept = logSumExpKept(arg(0), e.axes);
    std::vector<int64_t> shape;
    for (size_t a = 0; a < kept.shape.size(); ++a)
      if (e.keepdim || !std::binary_search(e.axes.begin(), e.axes.end(), int64_t(a)))
        shape.push_back(kept.shape[a]);
    return reshape(kept, shape);
  }
  case Builtin::LayerNorm:
  case Builtin::RMSNorm: {
    bool layer = e.builtin == Builtin::LayerNorm;
    Tensor normal = layer ? layerNormalize(arg(0), e.eps) : rmsNormalize(arg(0), e.eps);
    Tensor scaled = broadcastMap({&normal, &arg(1)}, [](const double *v) { return v[0] * v[1]; });
    if (!layer)
      return scaled;
    return broadcastMap({&scaled, &arg(2)}, [](const double *v) { return v[0] + v[1]; });
  }
  case Builtin::Heads:
    return splitHeads(arg(0), evalDim(e.dimArg, "the head count"));
  case Builtin::Unheads:
    return mergeHeads(arg(0));
  case Builtin::Permute:
    return permute(arg(0), e.perm);
  case Builtin::Reshape:
    return reshape(arg(0), evalShape(e.shapeArg, "reshape"));
  case Builtin::Concat: {
    // Off the axis, operands broadcast to the result's extents.
    std::vector<int64_t> shape = evalShape(e.type.shape, "the result of 'concat'");
    std::vector<Tensor> widened(e.operands.size());
    for (size_t i = 0; i < e.operands.size(); ++i) {
      const Tensor &x = arg(i);
      shape[e.axis] = x.shape.at(e.axis);
      args.push_back(&x);
      if (x.shape != shape) {
        widened[i] = broadcastTo(x, shape);
        args.back() = &widened[i];
      }
    }
    return concat(args, e.axis);
  }
  case Builtin::Stack: {
    // Each operand with an axis of 1 inserted, concatenated along it.
    std::vector<Tensor> parts;
    for (size_t i = 0; i < e.operands.size(); ++i) {
      const Tensor &x = arg(i);
      std::vector<int64_t> shape = x.shape;
      shape.insert(shape.begin() + e.axis, 1);
      parts.push_back(reshape(x, shape));
    }
    for (const Tensor &p : parts)
      args.push_back(&p);
    return concat(args, e.axis);
  }
  case Builtin::TopkMask:
    return topkMask(arg(0), evalDim(e.dimArg, "K"));
  default:
    break;
  }
  fail("internal error: unknown function '" + e.callee + "'");
}

double Evaluator::reduceScalar(const Expr &e) {
  const std::vector<int> &ids = e.boundIndices;
  std::vector<int64_t> extents, saved;
  for (int id : ids) {
    extents.push_back(indexExtents_[id]);
    saved.push_back(indexValues_[id]);
  }
  Accumulator acc(e.reduceKind, e.type.kind == ElemKind::Int);
  ++loopDepth_;
  for (MultiIndex it(extents); !it.done(); it.next()) {
    for (size_t k = 0; k < ids.size(); ++k)
      indexValues_[ids[k]] = it.index()[k];
    acc.add(scalar(*e.operands[0]));
  }
  --loopDepth_;
  for (size_t k = 0; k < ids.size(); ++k)
    indexValues_[ids[k]] = saved[k];
  return acc.result();
}

Tensor Evaluator::reduceTensor(const Expr &e) {
  const Expr &body = *e.operands[0];
  if (body.type.rank() == 0)
    return scalarTensor(reduceScalar(e));
  // A tensor-valued body: reduce every element position separately.
  const std::vector<int> &ids = e.boundIndices;
  std::vector<int64_t> extents, saved;
  for (int id : ids) {
    extents.push_back(indexExtents_[id]);
    saved.push_back(indexValues_[id]);
  }
  std::vector<int64_t> shape = evalShape(body.type.shape, "a reduction body");
  Tensor out = makeTensor(shape);
  std::vector<Accumulator> acc(out.data.size(),
                               Accumulator(e.reduceKind, e.type.kind == ElemKind::Int));
  ++loopDepth_;
  for (MultiIndex it(extents); !it.done(); it.next()) {
    for (size_t k = 0; k < ids.size(); ++k)
      indexValues_[ids[k]] = it.index()[k];
    Tensor scratch;
    const Tensor &v = tensorRef(body, scratch);
    if (v.shape != shape)
      fail("internal error: reduction body has shape " + shapeString(v.shape) +
           ", expected " + shapeString(shape));
    for (size_t i = 0; i < acc.size(); ++i)
      acc[i].add(v.data[i]);
  }
  --loopDepth_;
  for (size_t k = 0; k < ids.size(); ++k)
    indexValues_[ids[k]] = saved[k];
  for (size_t i = 0; i < acc.size(); ++i)
    out.data[i] = acc[i].result();
  return out;
}

int64_t Evaluator::subscriptOffset(const Expr &e, const Tensor &base) {
  size_t n = e.operands.size() - 1;
  if (n > base.shape.size())
    fail("internal error: " + std::to_string(n) + " subscripts for shape " +
         shapeString(base.shape));
  // Row-major offset of the leading n axes, in units of the trailing block.
  int64_t offset = 0;
  bool outside = false;
  for (size_t d = 0; d < n; ++d) {
    const Expr &sub = *e.operands[d + 1];
    // Plain index subscripts are by far the most common: read them directly.
    double v = sub.kind == ExprKind::Name && sub.refKind == RefKind::Index
                   ? static_cast<double>(indexValues_[sub.refId])
                   : std::floor(scalar(sub));
    int64_t extent = base.shape[d];
    // Evaluate every subscript (no early exit) so that reductions nested in
    // subscripts behave the same whatever the bounds.
    if (!(v >= 0 && v < static_cast<double>(extent))) {
      outside = true;
      continue;
    }
    offset = offset * extent + static_cast<int64_t>(v);
  }
  return outside ? -1 : offset;
}

double Evaluator::subscriptScalar(const Expr &e) {
  Tensor scratch;
  const Tensor &base = tensorRef(*e.operands[0], scratch);
  if (e.operands.size() - 1 != base.shape.size()) {
    Tensor part = subscriptTensor(e);
    if (part.data.size() != 1)
      fail("internal error: a subscript typed as a scalar reads shape " + shapeString(part.shape));
    return part.data[0];
  }
  int64_t offset = subscriptOffset(e, base);
  return offset < 0 ? 0.0 : base.data[offset];  // zero padding
}

Tensor Evaluator::subscriptTensor(const Expr &e) {
  Tensor scratch;
  const Tensor &base = tensorRef(*e.operands[0], scratch);
  size_t n = e.operands.size() - 1;
  std::vector<int64_t> shape(base.shape.begin() + std::min(n, base.shape.size()), base.shape.end());
  Tensor out = makeTensor(shape);
  int64_t offset = subscriptOffset(e, base);
  if (offset >= 0)
    std::copy_n(base.data.begin() + offset * static_cast<int64_t>(out.data.size()),
                out.data.size(), out.data.begin());
  return out;
}

Tensor Evaluator::sliceTensor(const Expr &e) {
  Tensor scratch;
  const Tensor &base = tensorRef(*e.operands[0], scratch);
  size_t rank = base.shape.size();
  std::vector<int64_t> first(rank), outShape, counts(rank);
  for (size_t a = 0; a < rank; ++a) {
    const SliceAxis &s = e.sliceAxes[a];
    first[a] = evalDim(s.first, "a slice's start");
    counts[a] = s.isIndex ? 1 : evalDim(s.extent, "a slice's extent");
    if (first[a] < 0 || counts[a] < 0 || first[a] + counts[a] > base.shape[a])
      fail("internal error: a slice reads outside axis " + std::to_string(a) + " of shape " +
           shapeString(base.shape));
    if (!s.isIndex)
      outShape.push_back(counts[a]);
  }
  Tensor out = makeTensor(outShape);
  // Walk the result in row-major order, the base's index following along.
  std::vector<int64_t> at(rank, 0);
  for (double &v : out.data) {
    int64_t offset = 0;
    for (size_t a = 0; a < rank; ++a)
      offset = offset * base.shape[a] + first[a] + at[a];
    v = base.data[offset];
    for (size_t a = rank; a-- > 0;)
      if (++at[a] < counts[a])
        break;
      else
        at[a] = 0;
  }
  return out;
}

} // namespace

bool evaluate(const ast::Model &model, const std::vector<int64_t> &dimValues,
              const std::vector<Tensor> &inputs, std::vector<Tensor> &outputs,
              std::string &error) {
  outputs.clear();
  ThrowOnOutOfMemory reportable;
  try {
    Evaluator(model, dimValues).run(inputs, outputs);
    return true;
  } catch (const EvalError &e) {
    error = e.what();
  } catch (const std::bad_alloc &) {
    error = "out of memory while evaluating model '" + model.name + "'";
  } catch (const std::length_error &) {
    error = "a tensor of model '" + model.name + "' is too large";
  } catch (const std::exception &e) {
    error = std::string("internal error: ") + e.what();
  }
  outputs.clear();
  return false;
}

} // namespace attnc::ref
