//===- IntervalFacts.h - What is known of a value over a tile ---*- C++ -*-===//
//
// The interval evaluation of element-wise ops
// (ElementwiseOpInterface::evaluateInterval): over a tile of indices, a value
// is known exactly (the same over the tile), as an index interval [lo, hi],
// as two booleans (must be true, must be false), or not at all. The facts are
// values computed at run time, emitted where the evaluation runs.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DIALECT_ATTN_IR_INTERVALFACTS_H
#define ATTNC_DIALECT_ATTN_IR_INTERVALFACTS_H

#include "mlir/IR/Builders.h"

namespace attnc::attn {

enum class CmpPredicate : uint32_t;

struct IntervalFact {
  enum Kind { Unknown, Exact, Interval, Bool } kind = Unknown;
  mlir::Value exact, lo, hi, mustTrue, mustFalse;

  static IntervalFact exactly(mlir::Value v);
  static IntervalFact interval(mlir::Value lo, mlir::Value hi);
  static IntervalFact boolean(mlir::Value mustTrue, mlir::Value mustFalse);
  /// An exact index is the interval [v, v]; anything but an interval is unknown.
  IntervalFact asInterval() const;
  /// An exact i1 v is (v, !v), the negation emitted at `b`; anything but
  /// booleans is unknown.
  IntervalFact asBool(mlir::OpBuilder &b, mlir::Location loc) const;
};

/// The rules of the ops masks are made of, for their ODS entries.
namespace interval {
/// x + y or x - y of index intervals.
IntervalFact addOrSub(mlir::OpBuilder &b, mlir::Location loc, bool subtract,
                      llvm::ArrayRef<IntervalFact> operands);
/// A comparison of index intervals: whether it must hold, must fail.
IntervalFact compare(mlir::OpBuilder &b, mlir::Location loc, CmpPredicate predicate,
                     llvm::ArrayRef<IntervalFact> operands);
/// and, or (two operands) and not (one) of booleans.
enum class Logic { And, Or, Not };
IntervalFact logic(mlir::OpBuilder &b, mlir::Location loc, Logic op,
                   llvm::ArrayRef<IntervalFact> operands);
} // namespace interval

} // namespace attnc::attn

#endif
