//===- ASTToAttn.cpp - Generate the attn dialect from a checked AST -------===//
//
// A direct walk over the checked tree: every expression becomes one attn op
// (or an arith constant), with the checker's shapes as result types. Values
// are tensors at the tensor level and scalars inside comprehension and
// reduction bodies ("element context"), where reads go through attn.read.
//
//===----------------------------------------------------------------------===//

#include "attnc/Conversion/ASTToAttn.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/Support/raw_ostream.h"

#include <limits>
#include <map>

using namespace mlir;
using namespace attnc;
using namespace attnc::attn;
namespace A = attnc::ast;

namespace {

class Generator {
public:
  Generator(MLIRContext &ctx, const A::Module &module)
      : ctx(ctx), builder(&ctx), file(StringAttr::get(&ctx, module.fileName)),
        expansions(&module.expansions) {}

  void generateModel(const A::Model &model, const std::string &symbol, ModuleOp into);

private:
  MLIRContext &ctx;
  OpBuilder builder;
  StringAttr file;
  const std::vector<A::Expansion> *expansions;

  // Per model.
  const A::Model *model = nullptr;
  SmallVector<Value> dimValues;               // index value of every dim
  std::vector<Value> declValues;              // value of every decl (tensor or scalar)
  std::map<const A::Expr *, Value> hoisted;   // subscripted sub-expressions
  std::map<int, Value> indexValues;           // index variables in scope

  /// Code expanded from a function: where it is written, called from
  /// each call on the way (the innermost call first).
  Location loc(const A::Loc &l) {
    Location at = FileLineColLoc::get(file, l.line, l.col);
    if (l.expansion < 0 || l.expansion >= static_cast<int>(expansions->size()))
      return at;
    return CallSiteLoc::get(at, loc((*expansions)[l.expansion].call));
  }

  // Types.
  Type elementType(A::ElemKind k, bool scalar) {
    switch (k) {
    case A::ElemKind::Float: return builder.getF32Type();
    // Integers are 64-bit (docs/language.md): `index` as scalars, i64 in
    // tensors; i32 only in storage.
    case A::ElemKind::Int: return scalar ? Type(builder.getIndexType()) : Type(builder.getI64Type());
    case A::ElemKind::Bool: return builder.getI1Type();
    }
    llvm_unreachable("unknown kind");
  }
  Type storageType(A::DType t) {
    switch (t) {
    case A::DType::F32: return builder.getF32Type();
    case A::DType::F16: return builder.getF16Type();
    case A::DType::BF16: return builder.getBF16Type();
    case A::DType::I32: return builder.getI32Type();
    case A::DType::I64: return builder.getI64Type();
    }
    llvm_unreachable("unknown dtype");
  }
  SmallVector<int64_t> staticShape(const Shape &shape) {
    SmallVector<int64_t> out;
    for (const DimExpr &d : shape)
      out.push_back(d.getConstant().value_or(ShapedType::kDynamic));
    return out;
  }
  RankedTensorType tensorType(const A::ValueType &t) {
    return RankedTensorType::get(staticShape(t.shape), elementType(t.kind, false));
  }
  /// The type of an element-wise result: a tensor if any operand is one.
  Type resultType(const A::ValueType &t, ValueRange operands) {
    for (Value v : operands)
      if (isa<RankedTensorType>(v.getType()))
        return tensorType(t);
    return elementType(t.kind, true);
  }

  /// `x` (of checked type `xType`) reduced by `kind` over `axes`, which stay
  /// with extent 1.
  Value reduceKeepingAxes(Location l, ReduceKind kind, Value x, const A::ValueType &xType,
                          ArrayRef<int64_t> axes) {
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> reduced, kept;
    SmallVector<Value> extents;
    for (int64_t a = 0; a < type.getRank(); ++a) {
      bool isReduced = llvm::is_contained(axes, a);
      if (!isReduced)
        reduced.push_back(type.getDimSize(a));
      kept.push_back(isReduced ? 1 : type.getDimSize(a));
      extents.push_back(isReduced ? indexConst(l, 1) : emitDimExpr(xType.shape[a], l));
    }
    Type element = type.getElementType();
    Value r = builder.create<ReduceOp>(l, RankedTensorType::get(reduced, element), kind, x,
                                       axes);
    return builder.create<ReshapeOp>(l, RankedTensorType::get(kept, element), r, extents);
  }

  /// log(sum(exp(x))) over `axes`, kept with extent 1, computed as
  /// m + log(sum(exp(x - m))) with m the maximum, taken as 0 where it is
  /// infinite: a group of -inf gives -inf, a +inf gives +inf, NaN propagates.
  Value logSumExpKept(Location l, Value x, const A::ValueType &xType, ArrayRef<int64_t> axes) {
    Value max = reduceKeepingAxes(l, ReduceKind::max, x, xType, axes);
    auto keptType = cast<RankedTensorType>(max.getType());
    Value inf = floatConst(l, std::numeric_limits<double>::infinity());
    Value infinite = builder.create<CmpOp>(l, keptType.clone(builder.getI1Type()),
                                           CmpPredicate::eq,
                                           builder.create<AbsOp>(l, keptType, max), inf);
    Value shift = builder.create<WhereOp>(l, keptType, infinite, floatConst(l, 0.0), max);
    Value e = builder.create<ExpOp>(l, x.getType(),
                                    builder.create<SubOp>(l, x.getType(), x, shift));
    Value sum = reduceKeepingAxes(l, ReduceKind::sum, e, xType, axes);
    return builder.create<AddOp>(l, keptType, builder.create<LogOp>(l, keptType, sum), shift);
  }

  /// A kept-axes reduction of call `e` reshaped to `e`'s own type (the axes
  /// removed).
  Value dropKeptAxes(Location l, Value kept, const A::Expr &e) {
    SmallVector<Value> extents;
    for (const DimExpr &d : e.type.shape)
      extents.push_back(emitDimExpr(d, l));
    return builder.create<ReshapeOp>(l, tensorType(e.type), kept, extents);
  }

  /// The type of an element-wise op of `a` and `b` whose result has the
  /// element type of `like`: their broadcast shape, or a scalar.
  Type broadcastType(Value a, Value b, Type like) {
    auto ta = dyn_cast<RankedTensorType>(a.getType()), tb = dyn_cast<RankedTensorType>(b.getType());
    Type element = getElementTypeOrSelf(like);
    if (!ta && !tb)
      return element.isInteger(64) ? Type(builder.getIndexType()) : element;
    ArrayRef<int64_t> sa = ta ? ta.getShape() : ArrayRef<int64_t>(),
                      sb = tb ? tb.getShape() : ArrayRef<int64_t>();
    SmallVector<int64_t> shape(std::max(sa.size(), sb.size()));
    for (size_t i = 0; i < shape.size(); ++i) {
      int64_t da = i < shape.size() - sa.size() ? 1 : sa[i - (shape.size() - sa.size())];
      int64_t db = i < shape.size() - sb.size() ? 1 : sb[i - (shape.size() - sb.size())];
      // 1 gives way to the other; a known extent to an unknown one.
      shape[i] = da == 1 ? db : db == 1 ? da : ShapedType::isDynamic(da) ? db : da;
    }
    return RankedTensorType::get(shape, element);
  }

  // Constants and dims.
  Value indexConst(Location l, int64_t v) { return builder.create<arith::ConstantIndexOp>(l, v); }
  Value floatConst(Location l, double v) {
    return builder.create<arith::ConstantOp>(l, builder.getF32FloatAttr(static_cast<float>(v)));
  }
  Value emitDimExpr(const DimExpr &d, Location l);
  Value emitAtom(const DimAtom &a, Location l);

  // Expressions.
  Value emit(const A::Expr &e, bool element);
  Value emitName(const A::Expr &e, bool element);
  Value emitBinary(const A::Expr &e, bool element);
  Value emitCall(const A::Expr &e, bool element);
  Value emitReduce(const A::Expr &e);
  Value emitSubscript(const A::Expr &e);
  Value emitSlice(const A::Expr &e);
  Value gather(Location l, Value base, ArrayRef<int64_t> shape, ValueRange extents,
               function_ref<SmallVector<Value>(ValueRange)> indices);
  Value broadcastOffAxis(Location l, Value x, const A::ValueType &from, const Shape &to,
                         int64_t keep);
  Value emitArgReduce(const A::Expr &e, Value x);
  Value emitEinsum(const A::Expr &e, ValueRange operands);
  Value emitComprehension(const A::Decl &d);
  void hoistSubscriptedExprs(const A::Expr &e);
  ScheduleAttr scheduleAttr(const A::Model &m);

  /// One element of `tensor`; integers are read as index scalars, the type
  /// of every Int scalar.
  Value readElement(Location l, Value tensor, ValueRange indices, bool inBounds) {
    Value r = builder.create<ReadOp>(l, cast<RankedTensorType>(tensor.getType()).getElementType(),
                                     tensor, indices, inBounds);
    if (r.getType().isInteger(64))
      r = builder.create<ConvertOp>(l, builder.getIndexType(), r);
    return r;
  }
  /// In element context every value is a scalar: rank-0 tensors are read.
  Value scalarize(Value v, Location l) {
    if (!isa<RankedTensorType>(v.getType()))
      return v;
    return readElement(l, v, ValueRange{}, /*inBounds=*/false);
  }
  /// Converts a tensor's elements (or a scalar) to `elem`, if needed.
  Value convertElements(Value v, Type elem, Location l) {
    if (auto t = dyn_cast<RankedTensorType>(v.getType())) {
      if (t.getElementType() == elem)
        return v;
      return builder.create<ConvertOp>(l, t.clone(elem), v);
    }
    if (v.getType() == elem)
      return v;
    return builder.create<ConvertOp>(l, elem, v);
  }
  /// Tensor-level ops that compute in f32 take their operand as f32 tensor.
  Value asFloatTensor(Value v, Location l) { return convertElements(v, builder.getF32Type(), l); }
  /// Makes a tensor of a scalar (a rank-0 value at the tensor level).
  Value asTensor(Value v, Location l) {
    if (isa<RankedTensorType>(v.getType()))
      return v;
    Type elem = v.getType();
    if (elem.isIndex()) {
      v = builder.create<ConvertOp>(l, builder.getI64Type(), v);
      elem = builder.getI64Type();
    }
    return builder.create<tensor::FromElementsOp>(l, RankedTensorType::get({}, elem), v);
  }
};

Value Generator::emitAtom(const DimAtom &a, Location l) {
  if (a.dim >= 0)
    return dimValues[a.dim];
  Value num = emitDimExpr(*a.num, l), den = emitDimExpr(*a.den, l);
  return builder.create<arith::DivSIOp>(l, num, den);
}

Value Generator::emitDimExpr(const DimExpr &d, Location l) {
  Value sum;
  for (const auto &[monomial, coeff] : d.terms()) {
    Value term = coeff == 1 && !monomial.empty() ? Value() : indexConst(l, coeff);
    for (const DimAtom &a : monomial) {
      Value v = emitAtom(a, l);
      term = term ? Value(builder.create<arith::MulIOp>(l, term, v)) : v;
    }
    sum = sum ? Value(builder.create<arith::AddIOp>(l, sum, term)) : term;
  }
  return sum ? sum : indexConst(l, 0);
}

Value Generator::emitName(const A::Expr &e, bool element) {
  Location l = loc(e.loc);
  switch (e.refKind) {
  case A::RefKind::Dim:
    return dimValues[e.refId];
  case A::RefKind::Index:
    return indexValues.at(e.refId);
  case A::RefKind::Decl: {
    Value v = declValues[e.refId];
    return element ? scalarize(v, l) : v;
  }
  case A::RefKind::Unresolved:
    break;
  }
  llvm_unreachable("unresolved name after checking");
}

Value Generator::emit(const A::Expr &e, bool element) {
  Location l = loc(e.loc);
  switch (e.kind) {
  case A::ExprKind::Number:
    if (e.isInteger)
      return indexConst(l, e.intValue);
    return floatConst(l, e.numberValue);
  case A::ExprKind::Name:
    return emitName(e, element);
  case A::ExprKind::Unary: {
    Value x = emit(*e.operands[0], element);
    Type t = resultType(e.type, x);
    if (e.unaryOp == A::UnaryOp::Neg)
      return builder.create<NegOp>(l, t, x);
    return builder.create<NotOp>(l, t, x);
  }
  case A::ExprKind::Binary:
    return emitBinary(e, element);
  case A::ExprKind::Call:
    return emitCall(e, element);
  case A::ExprKind::Reduce:
    return emitReduce(e);
  case A::ExprKind::Subscript:
    return emitSubscript(e);
  case A::ExprKind::Slice:
    return emitSlice(e);
  case A::ExprKind::Transpose: {
    Value x = asFloatTensor(emit(*e.operands[0], false), l);
    int64_t r = cast<RankedTensorType>(x.getType()).getRank();
    SmallVector<int64_t> perm;
    for (int64_t i = 0; i < r; ++i)
      perm.push_back(i);
    std::swap(perm[r - 1], perm[r - 2]);
    Value t = builder.create<TransposeOp>(l, tensorType(e.type).clone(builder.getF32Type()), x,
                                          perm);
    return convertElements(t, elementType(e.type.kind, false), l);
  }
  case A::ExprKind::List:
    break;
  }
  llvm_unreachable("a list is only an argument of transpose or reshape");
}

Value Generator::emitBinary(const A::Expr &e, bool element) {
  Location l = loc(e.loc);
  Value a = emit(*e.operands[0], element), b = emit(*e.operands[1], element);
  if (e.binaryOp == A::BinaryOp::MatMul) {
    Type f32 = builder.getF32Type();
    Value r = builder.create<MatmulOp>(l, tensorType(e.type).clone(f32), asFloatTensor(a, l),
                                       asFloatTensor(b, l));
    return convertElements(r, elementType(e.type.kind, false), l);
  }
  Type t = resultType(e.type, {a, b});
  auto cmp = [&](CmpPredicate p) -> Value { return builder.create<CmpOp>(l, t, p, a, b); };
  switch (e.binaryOp) {
  case A::BinaryOp::Add: return builder.create<AddOp>(l, t, a, b);
  case A::BinaryOp::Sub: return builder.create<SubOp>(l, t, a, b);
  case A::BinaryOp::Mul: return builder.create<MulOp>(l, t, a, b);
  case A::BinaryOp::Div: return builder.create<DivOp>(l, t, a, b);
  case A::BinaryOp::Mod: return builder.create<ModOp>(l, t, a, b);
  case A::BinaryOp::Pow: return builder.create<PowOp>(l, t, a, b);
  case A::BinaryOp::And: return builder.create<AndOp>(l, t, a, b);
  case A::BinaryOp::Or: return builder.create<OrOp>(l, t, a, b);
  case A::BinaryOp::Lt: return cmp(CmpPredicate::lt);
  case A::BinaryOp::Le: return cmp(CmpPredicate::le);
  case A::BinaryOp::Gt: return cmp(CmpPredicate::gt);
  case A::BinaryOp::Ge: return cmp(CmpPredicate::ge);
  case A::BinaryOp::Eq: return cmp(CmpPredicate::eq);
  case A::BinaryOp::Ne: return cmp(CmpPredicate::ne);
  case A::BinaryOp::MatMul: break;
  }
  llvm_unreachable("unknown binary operator");
}

template <typename OpT>
static Value unary(OpBuilder &b, Location l, Type t, Value x) {
  return b.create<OpT>(l, t, x);
}

Value Generator::emitCall(const A::Expr &e, bool element) {
  Location l = loc(e.loc);
  auto arg = [&](unsigned i) { return emit(*e.operands[i], element); };
  Type f32 = builder.getF32Type();
  RankedTensorType floatResult;
  if (!element || e.type.rank() > 0)
    floatResult = tensorType(e.type).clone(f32);
  // Element-wise built-ins.
  switch (e.builtin) {
  case A::Builtin::Exp: case A::Builtin::Log: case A::Builtin::Sqrt: case A::Builtin::Rsqrt:
  case A::Builtin::Abs: case A::Builtin::Tanh: case A::Builtin::Sigmoid: case A::Builtin::Relu:
  case A::Builtin::Gelu: case A::Builtin::Sin: case A::Builtin::Cos: case A::Builtin::Silu:
  case A::Builtin::Softplus: case A::Builtin::Erf: case A::Builtin::Floor:
  case A::Builtin::Ceil: case A::Builtin::Round: case A::Builtin::Int: {
    Value x = arg(0);
    Type t = resultType(e.type, x);
    switch (e.builtin) {
    case A::Builtin::Exp: return unary<ExpOp>(builder, l, t, x);
    case A::Builtin::Log: return unary<LogOp>(builder, l, t, x);
    case A::Builtin::Sqrt: return unary<SqrtOp>(builder, l, t, x);
    case A::Builtin::Rsqrt: return unary<RsqrtOp>(builder, l, t, x);
    case A::Builtin::Abs: return unary<AbsOp>(builder, l, t, x);
    case A::Builtin::Tanh: return unary<TanhOp>(builder, l, t, x);
    case A::Builtin::Sigmoid: return unary<SigmoidOp>(builder, l, t, x);
    case A::Builtin::Relu: return unary<ReluOp>(builder, l, t, x);
    case A::Builtin::Gelu: return unary<GeluOp>(builder, l, t, x);
    case A::Builtin::Sin: return unary<SinOp>(builder, l, t, x);
    case A::Builtin::Silu: return unary<SiluOp>(builder, l, t, x);
    case A::Builtin::Softplus: return unary<SoftplusOp>(builder, l, t, x);
    case A::Builtin::Erf: return unary<ErfOp>(builder, l, t, x);
    case A::Builtin::Floor: return unary<FloorOp>(builder, l, t, x);
    case A::Builtin::Ceil: return unary<CeilOp>(builder, l, t, x);
    case A::Builtin::Round: return unary<RoundOp>(builder, l, t, x);
    case A::Builtin::Int: return unary<TruncOp>(builder, l, t, x);
    default: return unary<CosOp>(builder, l, t, x);
    }
  }
  case A::Builtin::Max2:
  case A::Builtin::Min2: {
    Value a = arg(0), b = arg(1);
    Type t = resultType(e.type, {a, b});
    if (e.builtin == A::Builtin::Max2)
      return builder.create<MaxOp>(l, t, a, b);
    return builder.create<MinOp>(l, t, a, b);
  }
  case A::Builtin::Clamp: {
    // min(max(x, lo), hi) in the result's element type; max(x, lo) has the
    // broadcast shape of x and lo alone.
    Value x = arg(0), lo = arg(1), hi = arg(2);
    Type t = resultType(e.type, {x, lo, hi});
    Value low = builder.create<MaxOp>(l, broadcastType(x, lo, t), x, lo);
    return builder.create<MinOp>(l, t, low, hi);
  }
  case A::Builtin::Where: {
    Value c = arg(0), a = arg(1), b = arg(2);
    return builder.create<WhereOp>(l, resultType(e.type, {c, a, b}), c, a, b);
  }
  default:
    break;
  }

  // Tensor-level built-ins: operands are tensors (scalars are wrapped).
  auto targ = [&](unsigned i) { return asTensor(emit(*e.operands[i], false), l); };
  switch (e.builtin) {
  case A::Builtin::Softmax:
    return builder.create<SoftmaxOp>(l, floatResult, asFloatTensor(targ(0), l), e.axis);
  case A::Builtin::LogSoftmax: {
    // x - logsumexp(x, axis, keepdim), -inf where that is -inf.
    Value x = asFloatTensor(targ(0), l);
    Value lse = logSumExpKept(l, x, e.operands[0]->type, {e.axis});
    Value minusInf = floatConst(l, -std::numeric_limits<double>::infinity());
    auto lseType = cast<RankedTensorType>(lse.getType());
    Value masked = builder.create<CmpOp>(l, lseType.clone(builder.getI1Type()), CmpPredicate::eq,
                                         lse, minusInf);
    Value shifted = builder.create<SubOp>(l, floatResult, x, lse);
    return builder.create<WhereOp>(l, floatResult, masked, minusInf, shifted);
  }
  case A::Builtin::ArgMax:
  case A::Builtin::ArgMin:
    return emitArgReduce(e, targ(0));
  case A::Builtin::Einsum: {
    SmallVector<Value> operands;
    for (unsigned i = 0; i < e.operands.size(); ++i)
      operands.push_back(targ(i));
    return emitEinsum(e, operands);
  }
  case A::Builtin::LogSumExp: {
    Value kept = logSumExpKept(l, asFloatTensor(targ(0), l), e.operands[0]->type, e.axes);
    return e.keepdim ? kept : dropKeptAxes(l, kept, e);
  }
  case A::Builtin::ReduceAxis: {
    Value x = targ(0);
    auto kind = static_cast<ReduceKind>(static_cast<int>(e.reduceKind));
    bool isFloat = e.type.kind == A::ElemKind::Float;
    if (isFloat)
      x = asFloatTensor(x, l);
    else
      x = convertElements(x, builder.getI64Type(), l);
    if (e.keepdim)
      return reduceKeepingAxes(l, kind, x, e.operands[0]->type, e.axes);
    return builder.create<ReduceOp>(l, tensorType(e.type), kind, x, e.axes);
  }
  case A::Builtin::LayerNorm:
    return builder.create<LayerNormOp>(l, floatResult, asFloatTensor(targ(0), l),
                                       asFloatTensor(targ(1), l), asFloatTensor(targ(2), l),
                                       builder.getF64FloatAttr(e.eps));
  case A::Builtin::RMSNorm:
    return builder.create<RMSNormOp>(l, floatResult, asFloatTensor(targ(0), l),
                                     asFloatTensor(targ(1), l), builder.getF64FloatAttr(e.eps));
  case A::Builtin::Heads:
    return builder.create<HeadsOp>(l, tensorType(e.type), targ(0), emitDimExpr(e.dimArg, l));
  case A::Builtin::Unheads:
    return builder.create<UnheadsOp>(l, tensorType(e.type), targ(0));
  case A::Builtin::Permute:
    return builder.create<TransposeOp>(l, tensorType(e.type), targ(0), e.perm);
  case A::Builtin::Reshape: {
    SmallVector<Value> extents;
    for (const DimExpr &d : e.shapeArg)
      extents.push_back(emitDimExpr(d, l));
    return builder.create<ReshapeOp>(l, tensorType(e.type), targ(0), extents);
  }
  case A::Builtin::Concat:
  case A::Builtin::Stack: {
    // Left to right, two at a time: each step's axis adds up the extents.
    // stack first gives each operand an axis of 1 there.
    Type elem = elementType(e.type.kind, false);
    auto part = [&](unsigned i) -> Value {
      Value x = convertElements(targ(i), elem, l);
      if (e.builtin == A::Builtin::Concat)
        return broadcastOffAxis(l, x, e.operands[i]->type, e.type.shape, e.axis);
      const A::ValueType &type = e.operands[i]->type;
      SmallVector<int64_t> shape(cast<RankedTensorType>(x.getType()).getShape());
      SmallVector<Value> extents;
      for (const DimExpr &d : type.shape)
        extents.push_back(emitDimExpr(d, l));
      shape.insert(shape.begin() + e.axis, 1);
      extents.insert(extents.begin() + e.axis, indexConst(l, 1));
      return builder.create<ReshapeOp>(l, RankedTensorType::get(shape, elem), x, extents)
          .getResult();
    };
    Value acc = part(0);
    for (unsigned i = 1; i < e.operands.size(); ++i) {
      Value next = part(i);
      auto accType = cast<RankedTensorType>(acc.getType());
      SmallVector<int64_t> shape(accType.getShape());
      int64_t x = shape[e.axis], y = cast<RankedTensorType>(next.getType()).getDimSize(e.axis);
      shape[e.axis] = ShapedType::isDynamic(x) || ShapedType::isDynamic(y) ? ShapedType::kDynamic
                                                                            : x + y;
      Type t = i + 1 == e.operands.size() ? Type(tensorType(e.type))
                                          : RankedTensorType::get(shape, elem);
      acc = builder.create<ConcatOp>(l, t, acc, next, e.axis);
    }
    return acc;
  }
  case A::Builtin::TopkMask:
    return builder.create<TopkMaskOp>(l, floatResult, asFloatTensor(targ(0), l),
                                      emitDimExpr(e.dimArg, l));
  default:
    break;
  }
  llvm_unreachable("unknown built-in after checking");
}

Value Generator::emitReduce(const A::Expr &e) {
  Location l = loc(e.loc);
  SmallVector<Value> extents;
  for (int id : e.boundIndices)
    extents.push_back(emitDimExpr(model->indexVars[id].extent, l));
  auto kind = static_cast<ReduceKind>(static_cast<int>(e.reduceKind));
  Type t = elementType(e.type.kind, true);
  auto op = builder.create<IndexReduceOp>(l, t, kind, extents);
  OpBuilder::InsertionGuard guard(builder);
  Block *body = builder.createBlock(&op.getBody());
  for (int id : e.boundIndices)
    indexValues[id] = body->addArgument(builder.getIndexType(), loc(model->indexVars[id].loc));
  Value v = convertElements(emit(*e.operands[0], true), t, l);
  builder.create<YieldOp>(l, v);
  for (int id : e.boundIndices)
    indexValues.erase(id);
  return op.getResult();
}

Value Generator::emitSubscript(const A::Expr &e) {
  Location l = loc(e.loc);
  const A::Expr &base = *e.operands[0];
  Value tensor;
  if (base.kind == A::ExprKind::Name && base.refKind == A::RefKind::Decl)
    tensor = declValues[base.refId];
  else
    tensor = hoisted.at(&base);
  tensor = asTensor(tensor, l);
  SmallVector<Value> indices;
  // The checker gave every index used as a plain subscript the extent of each
  // axis it subscripts, so a read whose subscripts are all plain indices is in
  // bounds and needs no zero-padding guard.
  bool plain = true;
  for (size_t i = 1; i < e.operands.size(); ++i) {
    const A::Expr &sub = *e.operands[i];
    plain &= sub.kind == A::ExprKind::Name && sub.refKind == A::RefKind::Index;
    indices.push_back(convertElements(emit(sub, true), builder.getIndexType(), l));
  }
  return readElement(l, tensor, indices, plain && !indices.empty());
}

/// A comprehension over `extents` whose element is `base` read at
/// `indices(args)`, which must lie in bounds (a slice, a broadcast).
Value Generator::gather(Location l, Value base, ArrayRef<int64_t> shape, ValueRange extents,
                        function_ref<SmallVector<Value>(ValueRange)> indices) {
  Type elem = cast<RankedTensorType>(base.getType()).getElementType();
  auto op = builder.create<ComprehensionOp>(l, RankedTensorType::get(shape, elem), extents);
  OpBuilder::InsertionGuard guard(builder);
  Block *body = builder.createBlock(&op.getBody());
  SmallVector<Value> args;
  for (size_t i = 0; i < extents.size(); ++i)
    args.push_back(body->addArgument(builder.getIndexType(), l));
  Value v = builder.create<ReadOp>(l, elem, base, indices(args), /*in_bounds=*/true);
  builder.create<YieldOp>(l, v);
  return op.getResult();
}

/// `x[a:b, k, ...]` is the comprehension `r[i, ...] = x[a + i, k, ...]`; the
/// checker (and the run-time shape checks) keep every read in bounds.
Value Generator::emitSlice(const A::Expr &e) {
  Location l = loc(e.loc);
  Value base = asTensor(emit(*e.operands[0], false), l);
  SmallVector<Value> firsts, extents;
  for (const A::SliceAxis &axis : e.sliceAxes) {
    firsts.push_back(axis.isIndex || axis.first.getConstant() != 0 ? emitDimExpr(axis.first, l)
                                                                   : Value());
    if (!axis.isIndex)
      extents.push_back(emitDimExpr(axis.extent, l));
  }
  return gather(l, base, tensorType(e.type).getShape(), extents, [&](ValueRange args) {
    SmallVector<Value> indices;
    size_t k = 0;
    for (auto [axis, first] : llvm::zip(e.sliceAxes, firsts)) {
      if (axis.isIndex) {
        indices.push_back(first);
        continue;
      }
      Value i = args[k++];
      indices.push_back(first ? builder.create<arith::AddIOp>(l, first, i).getResult() : i);
    }
    return indices;
  });
}

/// `x` of checked type `from` stretched to the extents `to` on every axis
/// but `keep` (its own extent stays), reading index 0 where `from` has 1.
Value Generator::broadcastOffAxis(Location l, Value x, const A::ValueType &from, const Shape &to,
                                  int64_t keep) {
  SmallVector<int64_t> shape(cast<RankedTensorType>(x.getType()).getShape());
  SmallVector<Value> extents;
  bool same = true;
  for (size_t a = 0; a < to.size(); ++a) {
    const DimExpr &target = (int64_t)a == keep ? from.shape[a] : to[a];
    same &= target == from.shape[a];
    shape[a] = target.getConstant().value_or(ShapedType::kDynamic);
    extents.push_back(emitDimExpr(target, l));
  }
  if (same)
    return x;
  return gather(l, x, shape, extents, [&](ValueRange args) {
    SmallVector<Value> indices(args);
    for (size_t a = 0; a < to.size(); ++a)
      if (from.shape[a] != to[a] && (int64_t)a != keep)
        indices[a] = indexConst(l, 0);
    return indices;
  });
}

/// einsum: the comprehension `r[out...] = sum(rest...: a[...] * b[...] ...)`
/// over the result's letters, summing over the others: the form of a
/// contraction written by hand, which later passes recognise the same way.
Value Generator::emitEinsum(const A::Expr &e, ValueRange operands) {
  Location l = loc(e.loc);
  const A::EinsumSpec &spec = e.einsum;
  bool isFloat = e.type.kind == A::ElemKind::Float;
  Type scalar = elementType(e.type.kind, true), index = builder.getIndexType();
  SmallVector<Value> tensors, letterExtents, outExtents, sumExtents;
  for (Value v : operands)
    tensors.push_back(isFloat ? asFloatTensor(v, l) : convertElements(v, builder.getI64Type(), l));
  for (const DimExpr &d : spec.extents)
    letterExtents.push_back(emitDimExpr(d, l));
  SmallVector<int> summed;
  for (int id = 0; id < (int)spec.extents.size(); ++id)
    if (!llvm::is_contained(spec.output, id))
      summed.push_back(id);
  for (int id : spec.output)
    outExtents.push_back(letterExtents[id]);
  for (int id : summed)
    sumExtents.push_back(letterExtents[id]);
  auto op = builder.create<ComprehensionOp>(l, tensorType(e.type), outExtents);
  OpBuilder::InsertionGuard guard(builder);
  Block *body = builder.createBlock(&op.getBody());
  SmallVector<Value> letter(spec.extents.size());
  for (int id : spec.output)
    letter[id] = body->addArgument(index, l);
  // The product of the operands at the letters' current values.
  auto product = [&]() -> Value {
    Value p;
    for (auto [t, axes] : llvm::zip(tensors, spec.inputs)) {
      SmallVector<Value> indices;
      for (int id : axes)
        indices.push_back(letter[id]);
      Value v = readElement(l, t, indices, /*inBounds=*/true);
      p = p ? builder.create<MulOp>(l, scalar, p, v).getResult() : v;
    }
    return p;
  };
  Value v;
  if (summed.empty()) {
    v = product();
  } else {
    auto sum = builder.create<IndexReduceOp>(l, scalar, ReduceKind::sum, sumExtents);
    OpBuilder::InsertionGuard inner(builder);
    Block *sumBody = builder.createBlock(&sum.getBody());
    for (int id : summed)
      letter[id] = sumBody->addArgument(index, l);
    builder.create<YieldOp>(l, product());
    v = sum.getResult();
  }
  builder.create<YieldOp>(l, convertElements(v, tensorType(e.type).getElementType(), l));
  return op.getResult();
}

/// argmax/argmin: a comprehension over the kept axes whose element is the
/// first position (row-major within the reduced axes) where x is NaN, or
/// else where it equals the extreme: NumPy's answer, ties to the first.
Value Generator::emitArgReduce(const A::Expr &e, Value x) {
  Location l = loc(e.loc);
  const A::ValueType &xType = e.operands[0]->type;
  bool isFloat = xType.kind == A::ElemKind::Float;
  x = isFloat ? asFloatTensor(x, l) : convertElements(x, builder.getI64Type(), l);
  Value extreme = reduceKeepingAxes(
      l, e.builtin == A::Builtin::ArgMax ? ReduceKind::max : ReduceKind::min, x, xType, e.axes);
  Type index = builder.getIndexType();
  SmallVector<Value> resultExtents, innerExtents;
  for (auto [a, extent] : llvm::enumerate(xType.shape)) {
    bool reduced = llvm::is_contained(e.axes, (int64_t)a);
    Value v = emitDimExpr(extent, l);
    if (reduced)
      innerExtents.push_back(v);
    if (!reduced || e.keepdim)
      resultExtents.push_back(reduced ? indexConst(l, 1) : v);
  }
  // Row-major strides of the reduced axes, and their element count, which
  // stands for "no position".
  SmallVector<Value> strides(innerExtents.size());
  Value none = indexConst(l, 1);
  for (size_t k = innerExtents.size(); k-- > 0;) {
    strides[k] = none;
    none = builder.create<arith::MulIOp>(l, none, innerExtents[k]);
  }
  auto op = builder.create<ComprehensionOp>(l, tensorType(e.type), resultExtents);
  OpBuilder::InsertionGuard guard(builder);
  Block *body = builder.createBlock(&op.getBody());
  SmallVector<Value> outer;
  for (auto [a, extent] : llvm::enumerate(xType.shape)) {
    bool reduced = llvm::is_contained(e.axes, (int64_t)a);
    Value arg = reduced && !e.keepdim ? Value() : body->addArgument(index, l);
    outer.push_back(reduced ? indexConst(l, 0) : arg);
  }
  Value extremeHere = readElement(l, extreme, outer, /*inBounds=*/false);
  auto firstWhere = [&](bool nan) -> Value {
    auto r = builder.create<IndexReduceOp>(l, index, ReduceKind::min, innerExtents);
    OpBuilder::InsertionGuard inner(builder);
    Block *rb = builder.createBlock(&r.getBody());
    SmallVector<Value> indices(outer);
    Value position = indexConst(l, 0);
    for (size_t a = 0, k = 0; a < indices.size(); ++a) {
      if (!llvm::is_contained(e.axes, (int64_t)a))
        continue;
      indices[a] = rb->addArgument(index, l);
      position = builder.create<arith::AddIOp>(
          l, position, builder.create<arith::MulIOp>(l, indices[a], strides[k++]));
    }
    Value v = readElement(l, x, indices, /*inBounds=*/true);
    Value hit = builder.create<CmpOp>(l, builder.getI1Type(), CmpPredicate::ne, v, v);
    if (!nan)
      hit = builder.create<CmpOp>(l, builder.getI1Type(), CmpPredicate::eq, v, extremeHere);
    builder.create<YieldOp>(l, builder.create<WhereOp>(l, index, hit, position, none).getResult());
    return r.getResult();
  };
  Value at = firstWhere(false);
  if (isFloat) {
    Value nanAt = firstWhere(true);
    Value anyNan = builder.create<CmpOp>(l, builder.getI1Type(), CmpPredicate::lt, nanAt, none);
    at = builder.create<WhereOp>(l, index, anyNan, nanAt, at);
  }
  builder.create<YieldOp>(l, convertElements(at, builder.getI64Type(), l));
  return op.getResult();
}

/// Subscripted sub-expressions (`(q @ k.T)[b, h, i, j]`) do not depend on the
/// indices, so they are computed once, before the comprehension.
void Generator::hoistSubscriptedExprs(const A::Expr &e) {
  if (e.kind == A::ExprKind::Subscript) {
    const A::Expr &base = *e.operands[0];
    if (!(base.kind == A::ExprKind::Name && base.refKind == A::RefKind::Decl) &&
        !hoisted.count(&base))
      hoisted[&base] = emit(base, false);
  }
  for (const A::ExprPtr &op : e.operands)
    hoistSubscriptedExprs(*op);
}

Value Generator::emitComprehension(const A::Decl &d) {
  Location l = loc(d.loc);
  hoistSubscriptedExprs(*d.value);
  SmallVector<Value> extents;
  for (int id : d.indices)
    extents.push_back(emitDimExpr(model->indexVars[id].extent, l));
  RankedTensorType type = tensorType(d.type);
  auto op = builder.create<ComprehensionOp>(l, type, extents);
  OpBuilder::InsertionGuard guard(builder);
  Block *body = builder.createBlock(&op.getBody());
  for (int id : d.indices)
    indexValues[id] = body->addArgument(builder.getIndexType(), loc(model->indexVars[id].loc));
  Value v = convertElements(emit(*d.value, true), type.getElementType(), l);
  builder.create<YieldOp>(l, v);
  for (int id : d.indices)
    indexValues.erase(id);
  return op.getResult();
}

/// The model's schedule block, every directive of it: tile(i = Q, j = K)
/// -> block_q, block_k; vectorize(axes, W) -> vector_width, vectorize_axes;
/// unroll(axes, R) -> tile_rows, unroll_axes; threads(N); split(axes, F);
/// parallel(axes); gpu_blocks(axes); gpu_threads(axis = N, warps = W). The
/// checker has checked every value; a later directive wins over an earlier.
ScheduleAttr Generator::scheduleAttr(const A::Model &m) {
  if (m.schedule.empty())
    return nullptr;
  std::optional<int64_t> blockQ, blockK, width, rows, threads, warps;
  ArrayAttr vectorizeAxes, unrollAxes, parallel, gpuBlocks;
  llvm::MapVector<StringRef, int64_t> split, gpuThreads;
  // The axis names before a trailing number (or all of them).
  auto names = [&](const A::ScheduleDirective &d, bool trailingNumber) {
    SmallVector<Attribute> axes;
    for (size_t i = 0; i + (trailingNumber ? 1 : 0) < d.positional.size(); ++i)
      axes.push_back(builder.getStringAttr(d.positional[i]));
    return builder.getArrayAttr(axes);
  };
  auto number = [](const A::ScheduleDirective &d) { return std::stoll(d.positional.back()); };
  auto dictionary = [&](const llvm::MapVector<StringRef, int64_t> &entries) -> DictionaryAttr {
    if (entries.empty())
      return nullptr;
    SmallVector<NamedAttribute> named;
    for (const auto &[key, v] : entries)
      named.push_back(builder.getNamedAttr(key, builder.getI64IntegerAttr(v)));
    return builder.getDictionaryAttr(named);
  };
  for (const A::ScheduleDirective &d : m.schedule) {
    if (d.name == "tile") {
      for (const auto &[key, v] : d.named)
        (key == "i" || key == "q" ? blockQ : blockK) = v;
    } else if (d.name == "vectorize") {
      width = number(d);
      vectorizeAxes = names(d, true);
    } else if (d.name == "unroll") {
      rows = number(d);
      unrollAxes = names(d, true);
    } else if (d.name == "threads") {
      threads = number(d);
    } else if (d.name == "split") {
      for (Attribute axis : names(d, true))
        split[cast<StringAttr>(axis).getValue()] = number(d);
    } else if (d.name == "parallel") {
      parallel = names(d, false);
    } else if (d.name == "gpu_blocks") {
      gpuBlocks = names(d, false);
    } else if (d.name == "gpu_threads") {
      for (const auto &[key, v] : d.named)
        if (key == "warps")
          warps = v;
        else
          gpuThreads[key] = v;
    } else {
      llvm_unreachable("a schedule directive the checker does not know");
    }
  }
  return ScheduleAttr::get(&ctx, blockQ, blockK, width, rows, threads, vectorizeAxes, unrollAxes,
                           dictionary(split), parallel, gpuBlocks, dictionary(gpuThreads), warps);
}

void Generator::generateModel(const A::Model &m, const std::string &symbol, ModuleOp into) {
  model = &m;
  dimValues.clear();
  declValues.assign(m.decls.size(), Value());
  hoisted.clear();
  indexValues.clear();
  Location l = loc(m.loc);

  // Signature: dims, inputs, params, outputs; each backend adds what its
  // calling convention needs (docs/internals/abi.md).
  auto memrefFor = [&](const A::Decl &d) {
    return MemRefType::get(staticShape(d.kind == A::DeclKind::Output ? d.type.shape : d.shape),
                           storageType(d.kind == A::DeclKind::Output ? d.type.dtype : d.dtype));
  };
  SmallVector<Type> argTypes = {MemRefType::get({std::max<int64_t>(m.dims.size(), 1)},
                                                builder.getI64Type())};
  SmallVector<const A::Decl *> order;
  for (A::DeclKind kind : {A::DeclKind::Input, A::DeclKind::Param, A::DeclKind::Output})
    for (const A::Decl &d : m.decls)
      if (d.kind == kind) {
        order.push_back(&d);
        argTypes.push_back(memrefFor(d));
      }
  // All argument names at once: setting them one by one would rebuild the
  // array of every argument's attributes per argument.
  auto named = [&](StringRef name) {
    return builder.getDictionaryAttr(
        builder.getNamedAttr(kNameAttr, builder.getStringAttr(name)));
  };
  SmallVector<DictionaryAttr> argAttrs = {named("dims")};
  for (const A::Decl *d : order)
    argAttrs.push_back(named(d->name));
  builder.setInsertionPointToEnd(into.getBody());
  auto func = builder.create<func::FuncOp>(l, symbol, builder.getFunctionType(argTypes, {}),
                                           ArrayRef<NamedAttribute>{}, argAttrs);
  func->setAttr(kModelAttr, builder.getUnitAttr());
  if (ScheduleAttr schedule = scheduleAttr(m))
    func->setAttr(kScheduleAttr, schedule);
  Block *entry = func.addEntryBlock();
  for (auto [i, d] : llvm::enumerate(order))
    entry->getArgument(i + 1).setLoc(loc(d->loc));
  builder.setInsertionPointToStart(entry);

  for (auto [i, dim] : llvm::enumerate(m.dims)) {
    Location dl = loc(dim.loc);
    if (dim.isFixed) {
      dimValues.push_back(indexConst(dl, dim.fixedValue));
      continue;
    }
    Value raw = builder.create<memref::LoadOp>(dl, entry->getArgument(0),
                                               ValueRange{indexConst(dl, i)});
    dimValues.push_back(builder.create<arith::IndexCastOp>(dl, builder.getIndexType(), raw));
  }

  // Inputs and params become tensors of the compute element type.
  std::map<const A::Decl *, Value> outputArgs;
  for (auto [i, d] : llvm::enumerate(order)) {
    Value arg = entry->getArgument(i + 1);
    if (d->kind == A::DeclKind::Output) {
      outputArgs[d] = arg;
      continue;
    }
    Location dl = loc(d->loc);
    auto memref = cast<MemRefType>(arg.getType());
    Value t = builder.create<bufferization::ToTensorOp>(
        dl, RankedTensorType::get(memref.getShape(), memref.getElementType()), arg,
        /*restrict=*/true, /*writable=*/false);
    Type compute = elementType(d->type.kind, /*scalar=*/false);
    declValues[d - m.decls.data()] = convertElements(t, compute, dl);
  }

  for (const A::Decl &d : m.decls) {
    if (d.isTensorInput())
      continue;
    Location dl = loc(d.loc);
    Value v = d.indices.empty() ? emit(*d.value, false) : emitComprehension(d);
    // The op computing the declaration carries its name, so that what it
    // becomes (a buffer, a kernel) can be named in messages.
    Location own = d.indices.empty() ? loc(d.value->loc) : dl;
    if (Operation *def = v.getDefiningOp(); def && def->getLoc() == own)
      def->setLoc(NameLoc::get(builder.getStringAttr(d.name), own));
    declValues[&d - m.decls.data()] = v;
    if (d.kind != A::DeclKind::Output)
      continue;
    Value out = asTensor(v, dl);
    out = convertElements(out, storageType(d.type.dtype), dl);
    Value dest = outputArgs.at(&d);
    auto destType = cast<MemRefType>(dest.getType());
    auto want = RankedTensorType::get(destType.getShape(), destType.getElementType());
    if (out.getType() != want)
      out = builder.create<tensor::CastOp>(dl, want, out);
    auto store = builder.create<bufferization::MaterializeInDestinationOp>(dl, out, dest);
    store.setRestrict(true);
    store.setWritable(true);
  }
  builder.create<func::ReturnOp>(l);
}

} // namespace

OwningOpRef<ModuleOp> attnc::generateAttn(MLIRContext &context, const ast::Module &module,
                                          const std::vector<std::string> &kernelNames) {
  context.loadDialect<AttnDialect, arith::ArithDialect, bufferization::BufferizationDialect,
                      func::FuncDialect, memref::MemRefDialect, tensor::TensorDialect>();
  OwningOpRef<ModuleOp> result =
      ModuleOp::create(FileLineColLoc::get(&context, module.fileName, 1, 1));
  Generator gen(context, module);
  for (auto [i, m] : llvm::enumerate(module.models))
    gen.generateModel(m, kernelNames[i], *result);
  if (failed(verify(*result))) {
    llvm::errs() << "attnc: internal error: the generated attn module does not verify\n";
    return nullptr;
  }
  return result;
}
