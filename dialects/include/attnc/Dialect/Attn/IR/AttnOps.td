//===- AttnOps.td - Operations of the attn dialect ---------*- tablegen -*-===//

#ifndef ATTN_OPS
#define ATTN_OPS

include "attnc/Dialect/Attn/IR/AttnDialect.td"
include "attnc/Dialect/Attn/IR/ElementwiseOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/IR/RegionKindInterface.td"

//===----------------------------------------------------------------------===//
// Element-wise operations (tensors with NumPy broadcasting, or scalars)
//===----------------------------------------------------------------------===//

// An element-wise op: `scalar` is the body of its buildScalar(b, loc,
// operands, resultType) (ElementwiseOpInterface.td), made of the helpers of
// ScalarSemantics.h; `interval`, if given, the body of its
// evaluateInterval(b, loc, operands) (IntervalFacts.h).
class Attn_ElementwiseOp<string mnemonic, code scalar, code interval = "">
    : Attn_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<Attn_ElementwiseOpInterface,
                                   !if(!empty(interval), [], ["evaluateInterval"])>]> {
  let hasVerifier = 1;
  code elementVerifier = "verifyElementwise(getOperation())";
  let extraClassDefinition = [{
    ::mlir::LogicalResult $cppClass::verify() { return }] # elementVerifier # [{; }
    ::mlir::Value $cppClass::buildScalar(::mlir::OpBuilder &b, ::mlir::Location loc,
                                         ::mlir::ValueRange operands, ::mlir::Type resultType) {
  }] # scalar # [{
    }
  }] # !if(!empty(interval), "", [{
    ::attnc::attn::IntervalFact $cppClass::evaluateInterval(::mlir::OpBuilder &b,
        ::mlir::Location loc, ::llvm::ArrayRef<::attnc::attn::IntervalFact> operands) {
  }] # interval # [{
    }
  }]);
}

// The body of an arithmetic op: `onFloat` and `onInt` (by default the same)
// are expressions of `x` and `y`, computed in `t` (f32 for a number result,
// else i64).
class Attn_Arithmetic<code onFloat, code onInt = onFloat> {
  code body = [{
    return scalar::arithmetic(b, loc, operands, resultType,
        [&](::mlir::Value x, ::mlir::Value y, bool isFloat, ::mlir::Type t) -> ::mlir::Value {
      (void)y;
      (void)t;
      if (isFloat)
        return }] # onFloat # [{;
      return }] # onInt # [{;
    });
  }];
}

class Attn_UnaryOp<string mnemonic, string what, string formula, code scalar,
                   code interval = "">
    : Attn_ElementwiseOp<mnemonic, scalar, interval> {
  let summary = what;
  let description = "Applies `" # formula # "` to every element of a tensor, "
    # "or to a scalar. The result has the operand's shape; integers are "
    # "promoted to `f32` where the function needs a number.\n\n"
    # "Example:\n\n```mlir\n%y = attn." # mnemonic
    # " %x : tensor<?x64xf32> -> tensor<?x64xf32>\n```";
  let arguments = (ins Attn_Value:$input);
  let results = (outs Attn_Value:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Attn_NegOp : Attn_UnaryOp<"neg", "negation", "-x", Attn_Arithmetic<
    "b.create<::mlir::arith::NegFOp>(loc, x)",
    "b.create<::mlir::arith::SubIOp>(loc, scalar::intConst(b, loc, t, 0), x)">.body>;
def Attn_NotOp : Attn_UnaryOp<"not", "logical not", "!x", [{
  return scalar::logical(b, loc, operands, resultType, [&](auto x) -> ::mlir::Value {
    return b.create<::mlir::arith::XOrIOp>(loc, x[0], scalar::intConst(b, loc, x[0].getType(), 1));
  });
}], [{
  return interval::logic(b, loc, interval::Logic::Not, operands);
}]>;
def Attn_ExpOp : Attn_UnaryOp<"exp", "exponential", "exp(x)",
    Attn_Arithmetic<"b.create<::mlir::math::ExpOp>(loc, x)">.body>;
def Attn_LogOp : Attn_UnaryOp<"log", "natural logarithm", "log(x)",
    Attn_Arithmetic<"b.create<::mlir::math::LogOp>(loc, x)">.body>;
def Attn_SqrtOp : Attn_UnaryOp<"sqrt", "square root", "sqrt(x)",
    Attn_Arithmetic<"b.create<::mlir::math::SqrtOp>(loc, x)">.body>;
def Attn_RsqrtOp : Attn_UnaryOp<"rsqrt", "reciprocal square root", "1 / sqrt(x)",
    Attn_Arithmetic<"b.create<::mlir::math::RsqrtOp>(loc, x)">.body>;
def Attn_AbsOp : Attn_UnaryOp<"abs", "absolute value", "|x|", Attn_Arithmetic<
    "b.create<::mlir::math::AbsFOp>(loc, x)", "b.create<::mlir::math::AbsIOp>(loc, x)">.body>;
def Attn_TanhOp : Attn_UnaryOp<"tanh", "hyperbolic tangent", "tanh(x)",
    Attn_Arithmetic<"b.create<::mlir::math::TanhOp>(loc, x)">.body>;
def Attn_SigmoidOp : Attn_UnaryOp<"sigmoid", "logistic sigmoid", "1 / (1 + exp(-x))",
    Attn_Arithmetic<"scalar::sigmoid(b, loc, x)">.body>;
def Attn_ReluOp : Attn_UnaryOp<"relu", "rectified linear unit", "max(x, 0)", Attn_Arithmetic<
    "b.create<::mlir::arith::MaximumFOp>(loc, x, scalar::floatConst(b, loc, 0.0, t))",
    "b.create<::mlir::arith::MaxSIOp>(loc, x, scalar::intConst(b, loc, t, 0))">.body>;
def Attn_GeluOp : Attn_UnaryOp<"gelu", "Gaussian error linear unit (erf form)",
    "x / 2 * (1 + erf(x / sqrt(2)))", Attn_Arithmetic<"scalar::gelu(b, loc, x)">.body>;
def Attn_SinOp : Attn_UnaryOp<"sin", "sine", "sin(x)",
    Attn_Arithmetic<"b.create<::mlir::math::SinOp>(loc, x)">.body>;
def Attn_CosOp : Attn_UnaryOp<"cos", "cosine", "cos(x)",
    Attn_Arithmetic<"b.create<::mlir::math::CosOp>(loc, x)">.body>;
def Attn_SiluOp : Attn_UnaryOp<"silu", "sigmoid linear unit (swish)", "x * sigmoid(x)",
    Attn_Arithmetic<"scalar::silu(b, loc, x)">.body>;
def Attn_SoftplusOp : Attn_UnaryOp<"softplus", "softplus", "log(1 + exp(x))",
    Attn_Arithmetic<"scalar::softplus(b, loc, x)">.body>;
def Attn_ErfOp : Attn_UnaryOp<"erf", "error function", "erf(x)",
    Attn_Arithmetic<"b.create<::mlir::math::ErfOp>(loc, x)">.body>;

// A number rounded to an integer (scalar::roundToInt: floats beyond i32's
// range saturate, NaN gives 0).
class Attn_RoundingOp<string mnemonic, string what, string formula, string mode>
    : Attn_UnaryOp<mnemonic, what, formula, [{
  return scalar::roundToInt(b, loc, operands[0], scalar::Rounding::}] # mode # [{, resultType);
}]>;
def Attn_FloorOp : Attn_RoundingOp<"floor", "round down to an integer", "floor(x)", "Floor">;
def Attn_CeilOp : Attn_RoundingOp<"ceil", "round up to an integer", "ceil(x)", "Ceil">;
def Attn_RoundOp : Attn_RoundingOp<"round", "round to the nearest integer, ties to even",
    "round(x)", "HalfToEven">;
def Attn_TruncOp : Attn_RoundingOp<"trunc", "round toward zero to an integer", "int(x)",
    "TowardZero">;

def Attn_ConvertOp : Attn_ElementwiseOp<"convert", [{
  return scalar::cast(b, loc, operands[0], resultType);
}]> {
  let summary = "element type conversion";
  let description = [{
    Converts every element (or a scalar) to another element type: storage
    types to and from the `f32` the computation uses (`f16`, `bf16`), integers
    to numbers, `i32` tensor elements to `index`.

    Example:

    ```mlir
    %x32 = attn.convert %x : tensor<?x64xf16> -> tensor<?x64xf32>
    %i = attn.convert %len : i32 -> index
    ```
  }];
  let arguments = (ins Attn_AnyValue:$input);
  let results = (outs Attn_AnyValue:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let elementVerifier = "verifyConvert(*this)";
}

class Attn_BinaryOp<string mnemonic, string what, string formula, code scalar,
                    code interval = "">
    : Attn_ElementwiseOp<mnemonic, scalar, interval> {
  let summary = what;
  let description = "Computes `" # formula # "` element by element with NumPy "
    # "broadcasting; either side may be a scalar. Integer operands stay "
    # "integers when both are, otherwise they are promoted to `f32`.\n\n"
    # "Example:\n\n```mlir\n%c = attn." # mnemonic
    # " %a, %b : tensor<?x1xf32>, tensor<64xf32> -> tensor<?x64xf32>\n```";
  let arguments = (ins Attn_Value:$lhs, Attn_Value:$rhs);
  let results = (outs Attn_Value:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Attn_AddOp : Attn_BinaryOp<"add", "addition", "a + b", Attn_Arithmetic<
    "b.create<::mlir::arith::AddFOp>(loc, x, y)", "b.create<::mlir::arith::AddIOp>(loc, x, y)">.body,
    [{
  if (!getType().isIndex())
    return {};
  return interval::addOrSub(b, loc, /*subtract=*/false, operands);
}]>;
def Attn_SubOp : Attn_BinaryOp<"sub", "subtraction", "a - b", Attn_Arithmetic<
    "b.create<::mlir::arith::SubFOp>(loc, x, y)", "b.create<::mlir::arith::SubIOp>(loc, x, y)">.body,
    [{
  if (!getType().isIndex())
    return {};
  return interval::addOrSub(b, loc, /*subtract=*/true, operands);
}]>;
def Attn_MulOp : Attn_BinaryOp<"mul", "multiplication", "a * b", Attn_Arithmetic<
    "b.create<::mlir::arith::MulFOp>(loc, x, y)", "b.create<::mlir::arith::MulIOp>(loc, x, y)">.body>;
def Attn_DivOp : Attn_BinaryOp<"div", "division (floor division on integers)", "a / b",
    Attn_Arithmetic<"b.create<::mlir::arith::DivFOp>(loc, x, y)",
                    "scalar::intDivOrMod(b, loc, x, y, /*isMod=*/false)">.body>;
def Attn_ModOp : Attn_BinaryOp<"mod", "modulo (the sign of the divisor, as in Python)", "a % b",
    Attn_Arithmetic<"scalar::floatMod(b, loc, x, y)",
                    "scalar::intDivOrMod(b, loc, x, y, /*isMod=*/true)">.body>;
def Attn_PowOp : Attn_BinaryOp<"pow", "power", "a ** b",
    Attn_Arithmetic<"b.create<::mlir::math::PowFOp>(loc, x, y)">.body>;
def Attn_MaxOp : Attn_BinaryOp<"max", "element-wise maximum", "max(a, b)", Attn_Arithmetic<
    "b.create<::mlir::arith::MaximumFOp>(loc, x, y)",
    "b.create<::mlir::arith::MaxSIOp>(loc, x, y)">.body>;
def Attn_MinOp : Attn_BinaryOp<"min", "element-wise minimum", "min(a, b)", Attn_Arithmetic<
    "b.create<::mlir::arith::MinimumFOp>(loc, x, y)",
    "b.create<::mlir::arith::MinSIOp>(loc, x, y)">.body>;
def Attn_AndOp : Attn_BinaryOp<"and", "logical and", "a && b", [{
  return scalar::logical(b, loc, operands, resultType, [&](auto x) -> ::mlir::Value {
    return b.create<::mlir::arith::AndIOp>(loc, x[0], x[1]);
  });
}], [{
  return interval::logic(b, loc, interval::Logic::And, operands);
}]>;
def Attn_OrOp : Attn_BinaryOp<"or", "logical or", "a || b", [{
  return scalar::logical(b, loc, operands, resultType, [&](auto x) -> ::mlir::Value {
    return b.create<::mlir::arith::OrIOp>(loc, x[0], x[1]);
  });
}], [{
  return interval::logic(b, loc, interval::Logic::Or, operands);
}]>;

def Attn_CmpOp : Attn_ElementwiseOp<"cmp", [{
  return scalar::cast(b, loc, scalar::compare(b, loc, getPredicate(), operands), resultType);
}], [{
  return interval::compare(b, loc, getPredicate(), operands);
}]> {
  let summary = "comparison";
  let description = [{
    Compares element by element with NumPy broadcasting and gives `i1`
    elements (or an `i1` scalar).

    Example:

    ```mlir
    %causal = attn.cmp le, %j, %i : index, index -> i1
    ```
  }];
  let arguments = (ins Attn_CmpPredicateAttr:$predicate, Attn_Value:$lhs, Attn_Value:$rhs);
  let results = (outs Attn_Value:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Attn_WhereOp : Attn_ElementwiseOp<"where", [{
  ::mlir::Value c =
      scalar::cast(b, loc, operands[0], scalar::shapedLike(b.getI1Type(), resultType));
  ::mlir::Value t = scalar::cast(b, loc, operands[1], resultType);
  ::mlir::Value f = scalar::cast(b, loc, operands[2], resultType);
  return b.create<::mlir::arith::SelectOp>(loc, c, t, f);
}]> {
  let summary = "element-wise selection";
  let description = [{
    `where(cond, a, b)`: `a` where the condition holds, else `b`, with NumPy
    broadcasting of all three operands. This is how masks are written.

    Example:

    ```mlir
    %masked = attn.where %keep, %s, %ninf : i1, f32, f32 -> f32
    ```
  }];
  let arguments = (ins Attn_Value:$condition, Attn_Value:$on_true, Attn_Value:$on_false);
  let results = (outs Attn_Value:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:`
      type($condition) `,` type($on_true) `,` type($on_false) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Tensor-level operations
//===----------------------------------------------------------------------===//

def Attn_MatmulOp : Attn_Op<"matmul", [Pure]> {
  let summary = "matrix product with numpy.matmul semantics";
  let description = [{
    `a @ b`: contracts the last axis of `a` with the second-to-last axis of
    `b` (the only axis of a 1-D operand), broadcasting the leading batch axes.

    Example:

    ```mlir
    %s = attn.matmul %q, %kt : tensor<?x8x?x64xf32>, tensor<?x8x64x?xf32> -> tensor<?x8x?x?xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$lhs, Attn_Tensor:$rhs);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The number of leading batch axes of the result.
    int64_t getNumBatchAxes();
    /// The extent `axis` of `operand` (0 for lhs, 1 for rhs).
    using ExtentFn = ::llvm::function_ref<::mlir::Value(unsigned operand, int64_t axis)>;
    /// The result's extents: each batch axis from whichever operand is not
    /// broadcast there, then the rows of `lhs` and the columns of `rhs` (each
    /// only when that operand has it). The operands' extents are constants
    /// where static, else `extentOf`'s (by default tensor.dim).
    ::llvm::SmallVector<::mlir::Value> buildResultExtents(::mlir::OpBuilder &b,
                                                          ExtentFn extentOf = nullptr);
    /// The contracted extent.
    ::mlir::Value buildDepth(::mlir::OpBuilder &b, ExtentFn extentOf = nullptr);
  }];
}

def Attn_TransposeOp : Attn_Op<"transpose", [Pure]> {
  let summary = "axis permutation";
  let description = [{
    Result axis `i` is operand axis `permutation[i]`. `x.T` is the permutation
    that swaps the last two axes.

    Example:

    ```mlir
    %kt = attn.transpose %k [0, 1, 3, 2] : tensor<?x8x?x64xf32> -> tensor<?x8x64x?xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input $permutation attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Attn_SoftmaxOp : Attn_Op<"softmax", [Pure]> {
  let summary = "softmax along one axis";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis`. A slice that is entirely
    `-inf` (a fully masked row) gives zeros, never NaN.

    Example:

    ```mlir
    %w = attn.softmax %s axis = 3 : tensor<?x8x?x?xf32> -> tensor<?x8x?x?xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, I64Attr:$axis);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Attn_ReduceOp : Attn_Op<"reduce", [Pure]> {
  let summary = "reduction over tensor axes";
  let description = [{
    Sums, maximises, minimises or averages over `axes`, which are removed from
    the shape (`sum(x, axis = 1)`; `sum(x)` reduces every axis to a rank-0
    tensor).

    Example:

    ```mlir
    %m = attn.reduce mean %x [2] : tensor<?x64x?xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Attn_ReduceKindAttr:$kind, Attn_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$kind $input $axes attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Attn_LayerNormOp : Attn_Op<"layernorm", [Pure]> {
  let summary = "layer normalisation over the last axis";
  let description = [{
    `(x - mean) / sqrt(var + eps) * gamma + beta` over the last axis with the
    biased variance, as PyTorch defines it. `gamma` and `beta` broadcast
    against that axis.

    Example:

    ```mlir
    %y = attn.layernorm %x, %g, %b eps = 1.0e-05 : tensor<?x?x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, Attn_Tensor:$gamma, Attn_Tensor:$beta, F64Attr:$eps);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `eps` `=` $eps attr-dict `:`
      type($input) `,` type($gamma) `,` type($beta) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_RMSNormOp : Attn_Op<"rmsnorm", [Pure]> {
  let summary = "root-mean-square normalisation over the last axis";
  let description = [{
    `x / sqrt(mean(x^2) + eps) * gamma` over the last axis, as PyTorch defines it.

    Example:

    ```mlir
    %y = attn.rmsnorm %x, %g eps = 1.0e-06 : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, Attn_Tensor:$gamma, F64Attr:$eps);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `eps` `=` $eps attr-dict `:` type($input) `,` type($gamma) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_HeadsOp : Attn_Op<"heads", [Pure]> {
  let summary = "split the last axis into heads";
  let description = [{
    `[..., S, H*D] -> [..., H, S, D]`: head `h` takes columns `h*D` to
    `h*D + D - 1`. `num_heads` is `H`.

    Example:

    ```mlir
    %qh = attn.heads %q, %c4 : tensor<?x?x256xf32>, index -> tensor<?x4x?x64xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, Index:$num_heads);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $num_heads attr-dict `:` type($input) `,` type($num_heads) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_UnheadsOp : Attn_Op<"unheads", [Pure]> {
  let summary = "merge heads back into the last axis";
  let description = [{
    `[..., H, S, D] -> [..., S, H*D]`, the inverse of `attn.heads`.

    Example:

    ```mlir
    %y = attn.unheads %o : tensor<?x4x?x64xf32> -> tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Attn_ReshapeOp : Attn_Op<"reshape", [Pure]> {
  let summary = "row-major reshape";
  let description = [{
    Reinterprets the elements in row-major order with the extents given as
    operands (one per result axis; the result type's static extents agree).

    Example:

    ```mlir
    %y = attn.reshape %x to [%s, %c64] : tensor<?x8x8xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, Variadic<Index>:$extents);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input `to` ` ` `[` $extents `]` attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Attn_ConcatOp : Attn_Op<"concat", [Pure]> {
  let summary = "concatenation along one axis";
  let description = [{
    `concat(a, b, axis = k)`: the other axes must agree.

    Example:

    ```mlir
    %hs = attn.concat %h, %s axis = 1 : tensor<?x32xf32>, tensor<?x32xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$lhs, Attn_Tensor:$rhs, I64Attr:$axis);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `axis` `=` $axis attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_TopkMaskOp : Attn_Op<"topk_mask", [Pure]> {
  let summary = "keep the K largest entries of the last axis";
  let description = [{
    Keeps the `k` largest entries along the last axis and sets the others to
    `-inf` (hard attention); among equal entries the lowest index is kept.

    Example:

    ```mlir
    %h = attn.topk_mask %s, %c8 : tensor<?x?xf32>, index -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, Index:$k);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input `,` $k attr-dict `:` type($input) `,` type($k) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Element-level definitions
//===----------------------------------------------------------------------===//

def Attn_ComprehensionOp : Attn_Op<"comprehension",
    [Pure, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "a tensor defined element by element";
  let description = [{
    `let e[b, i, j] = body`: the region computes one element; its block
    arguments are the indices of the result's axes, whose extents are the
    operands. Reads outside a tensor's bounds (`attn.read`) give 0.

    Example:

    ```mlir
    %e = attn.comprehension [%B, %S, %T] : tensor<?x?x?xf32> {
    ^bb0(%b: index, %i: index, %j: index):
      %x = attn.read %qh[%b, %i, %c0] : tensor<?x?x32xf32>
      attn.yield %x : f32
    }
    ```
  }];
  let arguments = (ins Variadic<Index>:$extents);
  let results = (outs Attn_Tensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "` ` `[` $extents `]` attr-dict `:` type($result) $body";
  let hasVerifier = 1;
}

def Attn_IndexReduceOp : Attn_Op<"index_reduce",
    [Pure, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "a reduction over bound indices";
  let description = [{
    `sum(h: body)`, `max(...)`, `min(...)`, `mean(h, w: ...)`: combines the
    region's value over every combination of its block arguments, whose
    extents are the operands. An empty sum is 0, an empty max `-inf`, an empty
    min `+inf`.

    Example:

    ```mlir
    %s = attn.index_reduce sum [%H] : f32 {
    ^bb0(%h: index):
      %w = attn.read %wv[%h] : tensor<32xf32>
      attn.yield %w : f32
    }
    ```
  }];
  let arguments = (ins Attn_ReduceKindAttr:$kind, Variadic<Index>:$extents);
  let results = (outs AnyTypeOf<[F32, Index]>:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$kind `[` $extents `]` attr-dict `:` type($result) $body";
  let hasVerifier = 1;
}

def Attn_ReadOp : Attn_Op<"read", [Pure,
    TypesMatchWith<"the result is the tensor's element type", "tensor", "result",
                   "::llvm::cast<::mlir::RankedTensorType>($_self).getElementType()">]> {
  let summary = "zero-padded element read";
  let description = [{
    Reads one element; an index outside the tensor's bounds on any axis gives
    0 (zero padding), so convolutions and shifted windows need no guards.
    `in_bounds` records that the indices are known to be within bounds, so
    no guard is generated: the front end sets it on reads whose subscripts
    are all plain indices (the checker gave such an index the extent of every
    axis it subscripts). A pass that substitutes indices must keep them in
    those bounds or drop the attribute.

    Example:

    ```mlir
    %v = attn.read %x[%n, %y1, %x1] : tensor<?x2x?xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$tensor, Variadic<Index>:$indices, UnitAttr:$in_bounds);
  let results = (outs Attn_ElementType:$result);
  let assemblyFormat = "$tensor `[` $indices `]` attr-dict `:` type($tensor)";
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$tensor, "::mlir::ValueRange":$indices), [{
      build($_builder, $_state,
            ::mlir::cast<::mlir::RankedTensorType>(tensor.getType()).getElementType(),
            tensor, indices, /*in_bounds=*/false);
    }]>
  ];
}

//===----------------------------------------------------------------------===//
// Fused attention
//===----------------------------------------------------------------------===//

def Attn_AttentionOp : Attn_Op<"attention", [Pure, RecursiveMemoryEffects,
                                              AttrSizedOperandSegments]> {
  let summary = "fused attention: softmax over keys of a score, times values";
  let description = [{
    The op the fusion pass forms from a chain `softmax(score) @ v` (or its
    comprehension form): for every batch index, query `i` and value column
    `d`,

    ```
    o[batch, i, d] = sum_j w(batch, i, j) * value(batch, j, d)
    w(batch, i, j) = softmax_j(mask(batch, i, j) ? score(batch, i, j) : -inf)
    ```

    where a row whose scores are all `-inf` gives 0. With `unnormalized`
    the score region yields the weights themselves, with no softmax
    (sigmoid or ReLU attention, `sigmoid(q @ k.T) @ v`):

    ```
    w(batch, i, j) = mask(batch, i, j) ? score(batch, i, j) : 0
    ```

    With `topk(%K)` the
    weights are those of `softmax_j(topk_mask(x, K))`, x being the masked
    score above: per query, only the K largest x (NaN ranking above every
    number, ties kept lowest index first) count; the op still never
    materialises a row of scores. The extents are the
    batch extents, then the query count S, the key count T and the value
    width D; the result is `[batch..., S, D]`. The three regions compute
    one element each from their block arguments (batch indices, then `i, j`
    for `score` and `mask`, `j, d` for `value`), like FlexAttention's
    score_mod and mask_mod but for any score. The op never materialises the
    S x T weights: it lowers to the online-softmax loop nest.

    `schedule` records the tiling chosen by `attnc-schedule-attention` (or the
    user), a `#attn.schedule`: `block_q`, `block_k` (query and key block),
    `vector_width`, `tile_rows` (register tile rows) and `threads`.

    Example:

    ```mlir
    %o = attn.attention [%B, %S, %T, %c64] : tensor<?x?x64xf32>
    score {
    ^bb0(%b: index, %i: index, %j: index):
      ...
      attn.yield %s : f32
    } mask {
    ^bb0(%b: index, %i: index, %j: index):
      %keep = attn.cmp le, %j, %i : index, index -> i1
      attn.yield %keep : i1
    } value {
    ^bb0(%b: index, %j: index, %d: index):
      %v = attn.read %v[%b, %j, %d] : tensor<?x?x64xf32>
      attn.yield %v : f32
    }
    ```
  }];
  let arguments = (ins Variadic<Index>:$extents, Optional<Index>:$topk,
                       OptionalAttr<Attn_ScheduleAttr>:$schedule, UnitAttr:$unnormalized);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let regions = (region SizedRegion<1>:$score, SizedRegion<1>:$mask, SizedRegion<1>:$value);
  let assemblyFormat = [{
    ` ` `[` $extents `]` (`topk` `(` $topk^ `)`)? (`unnormalized` $unnormalized^)? attr-dict
    `:` type($result) `score` $score `mask` $mask `value` $value
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of leading batch dimensions of the result.
    unsigned getNumBatchDims() { return getExtents().size() - 3; }
  }];
}

def Attn_YieldOp : Attn_Op<"yield",
    [Pure, Terminator, ReturnLike,
     ParentOneOf<["ComprehensionOp", "IndexReduceOp", "AttentionOp"]>]> {
  let summary = "the value of one element";
  let description = [{
    Ends the body of `attn.comprehension` and `attn.index_reduce`.

    Example:

    ```mlir
    attn.yield %v : f32
    ```
  }];
  let arguments = (ins AnyTypeOf<[F32, I64, I32, I1, Index]>:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // ATTN_OPS
