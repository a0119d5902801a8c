//===- ContractionForm.h - What a contraction reads and what follows it -*- C++ -*-===//
//
// An attn.matmul as the GEMM kernel sees it. Its operands are read through
// the transposes, head splits and merges, f16/bf16-to-f32 conversions and
// element-wise ops (scale, activation) that produced them: the kernel indexes
// the tensor before those ops and computes the element-wise ones as it reads
// (its prologue), so they cost no copy and no pass over memory
// (OperandView). The element-wise ops that consume its result one after
// another (bias, scale, activation, residual, a final conversion to f16 or
// bf16) run on its register tiles before they are stored (Epilogue).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_BACKENDS_CPU_LOWERCONTRACTIONS_CONTRACTIONFORM_H
#define ATTNC_BACKENDS_CPU_LOWERCONTRACTIONS_CONTRACTIONFORM_H

#include "../KernelBuilder.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

#include <memory>
#include <optional>

namespace attnc::lowering {

/// A tensor read in place of a value computed from it by transposes, head
/// splits and merges, float conversions and element-wise ops: the value's
/// ("logical") indices map to the indices of the tensor those ops started
/// from (the source), and the element-wise ops are computed on what is read.
/// An element-wise op is read through when the value it gives has no other
/// use (so it is not computed elsewhere as well) and its other operands are
/// scalars or f32 tensors that broadcast against it, read through views of
/// their own.
class OperandView {
public:
  /// `tensor` read through the ops that produced it; through head merges
  /// only if `throughMerges` (their index arithmetic is not linear in the
  /// column, which an operand read once per step of the depth cannot afford).
  explicit OperandView(Value tensor, bool throughMerges = true);

  /// Emits what reading needs, before the kernel: the source's buffer and
  /// the head widths of the head splits.
  void materialize(LoopBuilder &h);

  /// The extent of the logical axis `axis`, from the source (after
  /// materialize()), so that the ops the view reads through lose their uses.
  Value extent(LoopBuilder &h, int64_t axis) const;

  /// Whether consecutive indices along the logical last axis are consecutive
  /// elements of the source's buffer (so a row loads as one vector).
  bool lastAxisContiguous() const;
  /// Whether reading computes element-wise ops (a prologue).
  bool computes() const;

  /// The element at `logical`, as f32.
  Value load(LoopBuilder &h, ValueRange logical) const;
  /// `width` elements along the logical last axis from `logical` on, as an
  /// f32 vector; the lanes at and after `count` are 0 and are not read.
  /// Needs lastAxisContiguous().
  Value loadRow(LoopBuilder &h, ValueRange logical, Value count, int64_t width) const;

private:
  /// An operand of an element-wise step other than the value it continues:
  /// a scalar (no view), or a tensor read through its own view, either
  /// along the logical last axis (a row of it per row read) or constant
  /// along it.
  struct SideOperand {
    std::shared_ptr<OperandView> view;
    bool alongRow = false;
  };
  struct ElementwiseStep {
    unsigned through = 0;  // the operand the chain continues through
    SmallVector<SideOperand> sides;  // per operand; unused at `through`
  };

  /// Whether `def` (the producer of the value reached so far) is an
  /// element-wise op to read through; fills `step`.
  bool acceptElementwise(Operation *def, ElementwiseStep &step) const;
  /// The axis of the value reached after the first `n` steps that the
  /// logical last axis follows; -1 once a row is no longer contiguous there.
  int64_t rowAxisAfter(size_t n) const;
  /// The source's indices of `logical`; `atSteps`, when given, receives the
  /// indices into each step's result.
  SmallVector<Value> sourceIndices(LoopBuilder &h, ValueRange logical,
                                   SmallVector<SmallVector<Value>> *atSteps = nullptr) const;
  /// The element-wise steps on `x` (f32 or a vector of `width` along the
  /// logical last axis, with `count` valid lanes), the source's side first.
  Value compute(LoopBuilder &h, Value x, ArrayRef<SmallVector<Value>> atSteps, Value count,
                int64_t width) const;
  /// The extent of axis `axis` of the value steps[first] produces (the
  /// source when first is past the steps).
  Value extentFrom(LoopBuilder &h, size_t first, int64_t axis) const;

  /// The value read (logical) and the tensor it is read from.
  Value value, source, buffer;
  /// The transposes, head splits and merges and conversions between the
  /// value and the source, the value's producer first; and the width D of
  /// each head split or merge (null for the other steps).
  SmallVector<Operation *> steps;
  SmallVector<Value> headWidths;
  /// Per step: its element-wise part (empty for the other kinds).
  SmallVector<std::optional<ElementwiseStep>> elementwise;
};

/// The element-wise ops that consume a matmul's result one after another:
/// each takes the previous value (once or more) and tensors or scalars
/// computed elsewhere, and gives an f32 tensor of the matmul's shape; the
/// last may instead convert to a narrower float type (f16, bf16), in which
/// the result is stored. The values between them have no other use.
struct Epilogue {
  SmallVector<attn::ElementwiseOpInterface> ops;
  /// The value the chain computes: the last op's result, or the matmul's.
  Value result;
  /// The final conversion to the stored type, if any (also in `ops`).
  attn::ConvertOp narrowing;
};

Epilogue findEpilogue(attn::MatmulOp op);

/// The indices of the leading `own` axes of an operand of `type` that
/// broadcasts against a value indexed by `indices` (aligned on the right; a
/// static extent of 1 is read at 0).
SmallVector<Value> alignedBatch(LoopBuilder &h, mlir::RankedTensorType type, int64_t own,
                                ValueRange indices);

} // namespace attnc::lowering

#endif
