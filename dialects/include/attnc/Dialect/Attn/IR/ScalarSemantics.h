//===- ScalarSemantics.h - One element of attn's element-wise ops -*- C++ -*-===//
//
// The building blocks of ElementwiseOpInterface::buildScalar, which each
// element-wise op defines in its ODS entry (AttnOps.td): conversions between
// attn's scalar types and the arithmetic the language specifies (floor
// division and Python's modulo on integers, division by zero giving 0).
// Every helper also works element by element on vectors (of one shape), which
// is how the CPU kernels apply element-wise ops to a register tile.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DIALECT_ATTN_IR_SCALARSEMANTICS_H
#define ATTNC_DIALECT_ATTN_IR_SCALARSEMANTICS_H

#include "mlir/IR/Builders.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace attnc::attn {
enum class CmpPredicate : uint32_t;
} // namespace attnc::attn

namespace attnc::attn::scalar {

/// Converts a scalar between the types attn uses: f32/f16/bf16, i32/i64,
/// index and i1 (numbers from integers by signed conversion, i1 as 0/1); or
/// a vector of them to a vector of the same shape.
mlir::Value cast(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, mlir::Type to);

/// `element`, or a vector of it of the shape of `like` when that is a vector.
mlir::Type shapedLike(mlir::Type element, mlir::Type like);

/// The f32 constant v (splat to the shape of `like` when that is a vector).
mlir::Value floatConst(mlir::OpBuilder &b, mlir::Location loc, double v, mlir::Type like = {});
/// The constant v of the integer type t, or of a vector of integers.
mlir::Value intConst(mlir::OpBuilder &b, mlir::Location loc, mlir::Type t, int64_t v);

/// The arithmetic of an op: operands cast to f32 for a number result, to i64
/// otherwise; `compute(x, y, isFloat, type)` (y null for one operand); the
/// result cast to `resultType`.
mlir::Value arithmetic(
    mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange operands, mlir::Type resultType,
    llvm::function_ref<mlir::Value(mlir::Value x, mlir::Value y, bool isFloat, mlir::Type type)>
        compute);

/// Operands as i1, `compute(operands)`, as `resultType`.
mlir::Value logical(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange operands,
                    mlir::Type resultType,
                    llvm::function_ref<mlir::Value(llvm::ArrayRef<mlir::Value>)> compute);

/// A comparison, in f32 when either side is a number, else in i64.
mlir::Value compare(mlir::OpBuilder &b, mlir::Location loc, CmpPredicate predicate,
                    mlir::ValueRange operands);

/// Floor division and Python's modulo of integers; by 0 they give 0, and
/// MIN / -1 wraps to MIN.
mlir::Value intDivOrMod(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs, mlir::Value rhs,
                        bool isMod);
/// Python's modulo of numbers: the sign of the divisor.
mlir::Value floatMod(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y);
/// 1 / (1 + exp(-x)) and x / 2 * (1 + erf(x / sqrt(2))).
mlir::Value sigmoid(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
mlir::Value gelu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
/// x * sigmoid(x).
mlir::Value silu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
/// log(1 + exp(x)), as max(x, 0) + log1p(exp(-|x|)) so that it neither
/// overflows nor loses small values.
mlir::Value softplus(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// How a number becomes an integer.
enum class Rounding { Floor, Ceil, HalfToEven, TowardZero };
/// `x` rounded to an integer, as `resultType` (an integer or index type, or
/// a vector of one): an integer stays as it is; a float beyond the values an
/// i32 holds saturates to the nearest of them, and NaN gives 0.
mlir::Value roundToInt(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, Rounding mode,
                       mlir::Type resultType);

} // namespace attnc::attn::scalar

#endif
