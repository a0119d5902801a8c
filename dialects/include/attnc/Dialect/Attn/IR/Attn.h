//===- Attn.h - The attn dialect --------------------------------*- C++ -*-===//
#ifndef ATTNC_DIALECT_ATTN_IR_ATTN_H
#define ATTNC_DIALECT_ATTN_IR_ATTN_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "attnc/Dialect/Attn/IR/AttnOpsDialect.h.inc"
#include "attnc/Dialect/Attn/IR/AttnEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "attnc/Dialect/Attn/IR/AttnAttrs.h.inc"

namespace attnc::attn {
/// Discardable attributes of the dialect: a function argument's name in the
/// model (`attn.name`), the mark of a function that computes one model
/// (`attn.model`, until a backend gives it its calling convention) and the
/// model's schedule block (`attn.schedule`, on that function).
inline constexpr llvm::StringLiteral kNameAttr = "attn.name", kModelAttr = "attn.model",
                                     kScheduleAttr = "attn.schedule";
/// Shared verifier of the element-wise ops: operand and result shapes follow
/// NumPy broadcasting, scalars mix freely with tensors.
mlir::LogicalResult verifyElementwise(mlir::Operation *op);
/// Checks what the attribute's own verifier cannot: that the schedule of an
/// attn.attention fits together once the lowering's defaults fill the gaps.
mlir::LogicalResult verifyAppliedSchedule(mlir::Operation *op, ScheduleAttr applied);
} // namespace attnc::attn

#include "attnc/Dialect/Attn/IR/IntervalFacts.h"

#include "attnc/Dialect/Attn/IR/ElementwiseOpInterface.h.inc"

#define GET_OP_CLASSES
#include "attnc/Dialect/Attn/IR/AttnOps.h.inc"

namespace attnc::attn {
mlir::LogicalResult verifyConvert(ConvertOp op);
} // namespace attnc::attn

#endif
