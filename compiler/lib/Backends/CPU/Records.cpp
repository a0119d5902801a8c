//===- Records.cpp - Values that travel to outlined code in memory --------===//

#include "Records.h"

using namespace mlir;

namespace attnc {

LLVM::LLVMStructType recordType(const LLVMTypeConverter &types, ValueRange values,
                                Value *unconvertible) {
  SmallVector<Type> fields;
  for (Value v : values) {
    Type t = types.convertType(v.getType());
    if (!t) {
      if (unconvertible)
        *unconvertible = v;
      return nullptr;
    }
    fields.push_back(t);
  }
  return LLVM::LLVMStructType::getLiteral(&types.getContext(), fields);
}

Value allocateRecord(OpBuilder &b, Location loc, LLVM::LLVMStructType type) {
  Value one = b.create<LLVM::ConstantOp>(loc, b.getI64Type(), b.getI64IntegerAttr(1));
  return b.create<LLVM::AllocaOp>(loc, LLVM::LLVMPointerType::get(b.getContext()), type, one);
}

/// The address of field `i` of the record at `slot`.
static Value fieldAddress(OpBuilder &b, Location loc, LLVM::LLVMStructType type, Value slot,
                          size_t i) {
  return b.create<LLVM::GEPOp>(loc, LLVM::LLVMPointerType::get(b.getContext()), type, slot,
                               ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)},
                               /*inbounds=*/true);
}

// Field by field: one aggregate value of thousands of fields, built by as
// many insertvalue instructions, takes LLVM's SCCP quadratic time.
void storeRecord(OpBuilder &b, Location loc, LLVM::LLVMStructType type, ValueRange values,
                 Value slot) {
  for (auto [i, v] : llvm::enumerate(values)) {
    Type field = type.getBody()[i];
    Value converted = v.getType() == field
                          ? v
                          : b.create<UnrealizedConversionCastOp>(loc, field, v).getResult(0);
    b.create<LLVM::StoreOp>(loc, converted, fieldAddress(b, loc, type, slot, i));
  }
}

void loadRecord(OpBuilder &b, Location loc, LLVM::LLVMStructType type, Value slot,
                ValueRange values, IRMapping &map) {
  for (auto [i, v] : llvm::enumerate(values)) {
    Value field =
        b.create<LLVM::LoadOp>(loc, type.getBody()[i], fieldAddress(b, loc, type, slot, i));
    map.map(v, field.getType() == v.getType()
                   ? field
                   : b.create<UnrealizedConversionCastOp>(loc, v.getType(), field).getResult(0));
  }
}

void partitionUsedValues(const llvm::SetVector<Value> &used,
                         SmallVectorImpl<Operation *> &constants,
                         llvm::SetVector<Value> &captured) {
  for (Value v : used) {
    Operation *def = v.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      captured.insert(v);
  }
}

void remapOperands(Region &region, const IRMapping &map) {
  region.walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands())
      if (Value replacement = map.lookupOrNull(operand.get()))
        operand.set(replacement);
  });
}

} // namespace attnc
