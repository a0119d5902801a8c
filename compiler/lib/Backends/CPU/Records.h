//===- Records.h - Values that travel to outlined code in memory -*- C++ -*-===//
//
// Code moved out of a function (the chunks of a parallel loop, the segments
// of a large kernel) receives the values it uses, and hands back those it
// defines, through a struct on the caller's stack: one pointer argument
// however many values travel, each in its LLVM type. The unrealized casts on
// both sides fold away in the LLVM conversion.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_BACKENDS_CPU_RECORDS_H
#define ATTNC_BACKENDS_CPU_RECORDS_H

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/SetVector.h"

namespace attnc {

/// The struct of `values` in their LLVM types; null if one has no LLVM form,
/// which `*unconvertible` then names.
mlir::LLVM::LLVMStructType recordType(const mlir::LLVMTypeConverter &types,
                                      mlir::ValueRange values,
                                      mlir::Value *unconvertible = nullptr);

/// A stack slot for one record, allocated at `b`'s insertion point.
mlir::Value allocateRecord(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::LLVM::LLVMStructType type);

/// Stores `values` into the record at `slot`.
void storeRecord(mlir::OpBuilder &b, mlir::Location loc, mlir::LLVM::LLVMStructType type,
                 mlir::ValueRange values, mlir::Value slot);

/// Loads the record at `slot`; field i comes back with the type of `values[i]`,
/// and `map` maps each value to its field.
void loadRecord(mlir::OpBuilder &b, mlir::Location loc, mlir::LLVM::LLVMStructType type,
                mlir::Value slot, mlir::ValueRange values, mlir::IRMapping &map);

/// Splits the values that outlined code uses from outside: constants, which
/// it recreates (so that LLVM still sees them), and the others, which travel.
void partitionUsedValues(const llvm::SetVector<mlir::Value> &used,
                         llvm::SmallVectorImpl<mlir::Operation *> &constants,
                         llvm::SetVector<mlir::Value> &captured);

/// Replaces, in the operations of `region`, every operand that `map` maps.
/// (Visits the region's operands, not the uses of the mapped values, which
/// may be spread over a whole kernel.)
void remapOperands(mlir::Region &region, const mlir::IRMapping &map);

} // namespace attnc

#endif
