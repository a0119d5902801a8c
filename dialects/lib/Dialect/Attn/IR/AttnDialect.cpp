//===- AttnDialect.cpp - The attn dialect ---------------------------------===//

#include "attnc/Dialect/Attn/IR/Attn.h"
#include "attnc/Dialect/Attn/IR/ScheduleRules.h"

#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace attnc::attn;

#include "attnc/Dialect/Attn/IR/AttnOpsDialect.cpp.inc"
#include "attnc/Dialect/Attn/IR/AttnEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "attnc/Dialect/Attn/IR/AttnAttrs.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "attnc/Dialect/Attn/IR/AttnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "attnc/Dialect/Attn/IR/AttnAttrs.cpp.inc"
      >();
}

LogicalResult attnc::attn::verifySchedule(Operation *op, Attribute attr, StringRef name,
                                          bool applied) {
  auto dict = dyn_cast<DictionaryAttr>(attr);
  if (!dict)
    return op->emitOpError() << "'" << name << "' must be a dictionary";
  for (NamedAttribute entry : dict) {
    StringRef key = entry.getName().strref();
    auto value = dyn_cast<IntegerAttr>(entry.getValue());
    std::string problem = !schedule::describe(key) || value
                              ? schedule::checkValue(key, value ? value.getInt() : 0)
                              : "'" + key.str() + "' must be an integer";
    if (!problem.empty())
      return op->emitOpError() << "'" << name << "': " << problem;
  }
  // The block and the width must fit each other where they are applied,
  // missing ones taking the lowering's defaults; a model's schedule may
  // leave the width to the target (attnc-schedule-attention checks the pair).
  auto q = dict.getAs<IntegerAttr>(schedule::kBlockQ);
  auto width = dict.getAs<IntegerAttr>(schedule::kVectorWidth);
  if (!applied && !(q && width))
    return success();
  std::string problem =
      schedule::checkBlockQ(q ? q.getInt() : schedule::kDefaultBlockQ,
                            width ? width.getInt() : schedule::kDefaultVectorWidth);
  if (!problem.empty())
    return op->emitOpError() << "'" << name << "': " << problem;
  return success();
}

LogicalResult AttnDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  if (attr.getName() == kScheduleAttr)
    return verifySchedule(op, attr.getValue(), attr.getName(), /*applied=*/false);
  if (attr.getName() == kNameAttr)
    return success();
  if (attr.getName() == kModelAttr) {
    if (!isa<UnitAttr>(attr.getValue()) || !isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << kModelAttr << "' is a unit attribute of a function";
    return success();
  }
  return op->emitError() << "unknown attn attribute '" << attr.getName().strref() << "'";
}
