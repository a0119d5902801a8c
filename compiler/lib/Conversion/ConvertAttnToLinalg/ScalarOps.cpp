//===- ScalarOps.cpp - The identities and steps of reductions -------------===//

#include "ScalarOps.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace attnc::attn;

namespace attnc {

static bool isFloat(Type t) { return isa<FloatType>(t); }

Value reductionIdentity(OpBuilder &b, Location loc, int kind, Type type) {
  auto k = static_cast<ReduceKind>(kind);
  if (isFloat(type)) {
    double inf = std::numeric_limits<double>::infinity();
    double v = k == ReduceKind::max ? -inf : k == ReduceKind::min ? inf : 0.0;
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, v));
  }
  int64_t v = k == ReduceKind::max   ? std::numeric_limits<int64_t>::min()
              : k == ReduceKind::min ? std::numeric_limits<int64_t>::max()
                                     : 0;
  if (type.isIndex())
    return b.create<arith::ConstantIndexOp>(loc, v);
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, v));
}

Value reductionCombine(OpBuilder &b, Location loc, int kind, Value acc, Value v,
                       bool reassociate) {
  auto k = static_cast<ReduceKind>(kind);
  bool fl = isFloat(acc.getType());
  switch (k) {
  case ReduceKind::sum:
  case ReduceKind::mean:
    return fl ? Value(b.create<arith::AddFOp>(loc, acc, v,
                                              reassociate ? arith::FastMathFlags::reassoc
                                                          : arith::FastMathFlags::none))
              : Value(b.create<arith::AddIOp>(loc, acc, v));
  case ReduceKind::max:
    return fl ? Value(b.create<arith::MaximumFOp>(loc, acc, v))
              : Value(b.create<arith::MaxSIOp>(loc, acc, v));
  case ReduceKind::min:
    return fl ? Value(b.create<arith::MinimumFOp>(loc, acc, v))
              : Value(b.create<arith::MinSIOp>(loc, acc, v));
  }
  llvm_unreachable("unknown reduction");
}

} // namespace attnc
