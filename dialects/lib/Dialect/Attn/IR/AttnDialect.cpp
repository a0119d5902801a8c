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

//===----------------------------------------------------------------------===//
// #attn.schedule
//===----------------------------------------------------------------------===//

LogicalResult ScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   std::optional<int64_t> blockQ, std::optional<int64_t> blockK,
                                   std::optional<int64_t> vectorWidth,
                                   std::optional<int64_t> tileRows, std::optional<int64_t> threads,
                                   ArrayAttr vectorizeAxes, ArrayAttr unrollAxes,
                                   DictionaryAttr split, ArrayAttr parallel, ArrayAttr gpuBlocks,
                                   DictionaryAttr gpuThreads, std::optional<int64_t> warps) {
  // Every number given follows the rules.
  for (auto [key, value] :
       {std::pair<std::string_view, std::optional<int64_t>>{schedule::kBlockQ, blockQ},
        {schedule::kBlockK, blockK},
        {schedule::kVectorWidth, vectorWidth},
        {schedule::kTileRows, tileRows},
        {schedule::kThreads, threads}})
    if (value)
      if (std::string problem = schedule::checkValue(key, *value); !problem.empty())
        return emitError() << "schedule: " << problem;
  if (warps && *warps < 1)
    return emitError() << "schedule: warps " << *warps << " is not positive";
  auto counts = [&](DictionaryAttr counts, StringRef what) -> LogicalResult {
    for (NamedAttribute entry : counts ? counts.getValue() : ArrayRef<NamedAttribute>{}) {
      auto value = llvm::dyn_cast<IntegerAttr>(entry.getValue());
      if (!value || value.getInt() < 1)
        return emitError() << "schedule: the " << what << " of axis '" << entry.getName().strref()
                           << "' must be a positive integer";
    }
    return success();
  };
  auto axes = [&](ArrayAttr axes, StringRef what) -> LogicalResult {
    if (axes && !llvm::all_of(axes, [](Attribute a) { return llvm::isa<StringAttr>(a); }))
      return emitError() << "schedule: " << what << " must be a list of axis names";
    return success();
  };
  if (failed(counts(split, "split factor")) || failed(counts(gpuThreads, "GPU thread count")) ||
      failed(axes(vectorizeAxes, "vectorize_axes")) || failed(axes(unrollAxes, "unroll_axes")) ||
      failed(axes(parallel, "parallel")) || failed(axes(gpuBlocks, "gpu_blocks")))
    return failure();
  // A model's schedule may leave the width to the target, which
  // attnc-schedule-attention knows: the pair is checked when both are given.
  if (blockQ && vectorWidth)
    if (std::string problem = schedule::checkBlockQ(*blockQ, *vectorWidth); !problem.empty())
      return emitError() << "schedule: " << problem;
  return success();
}

int64_t ScheduleAttr::getBlockQOrDefault() const {
  return getBlockQ().value_or(schedule::kDefaultBlockQ);
}
int64_t ScheduleAttr::getBlockKOrDefault() const {
  return getBlockK().value_or(schedule::kDefaultBlockK);
}
int64_t ScheduleAttr::getVectorWidthOrDefault() const {
  return getVectorWidth().value_or(schedule::kDefaultVectorWidth);
}
int64_t ScheduleAttr::getTileRowsOrDefault() const {
  return getTileRows().value_or(schedule::kDefaultTileRows);
}

LogicalResult attnc::attn::verifyAppliedSchedule(Operation *op, ScheduleAttr applied) {
  // Where it is applied, the block and the width must fit each other, a
  // missing one taking the lowering's default.
  std::string problem =
      schedule::checkBlockQ(applied.getBlockQOrDefault(), applied.getVectorWidthOrDefault());
  if (!problem.empty())
    return op->emitOpError() << "schedule: " << problem;
  return success();
}

LogicalResult AttnDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  if (attr.getName() == kScheduleAttr) {
    if (!isa<ScheduleAttr>(attr.getValue()) || !isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << kScheduleAttr << "' is an #attn.schedule of a function";
    return success();
  }
  if (attr.getName() == kNameAttr)
    return success();
  if (attr.getName() == kModelAttr) {
    if (!isa<UnitAttr>(attr.getValue()) || !isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << kModelAttr << "' is a unit attribute of a function";
    return success();
  }
  return op->emitError() << "unknown attn attribute '" << attr.getName().strref() << "'";
}
