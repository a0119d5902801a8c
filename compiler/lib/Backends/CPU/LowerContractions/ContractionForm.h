//===- ContractionForm.h - What a contraction reads and what follows it -*- C++ -*-===//
//
// An attn.matmul as the GEMM kernel sees it. Its operands are read through
// the transposes, head splits and merges and f16/bf16-to-f32 conversions
// that produced them: the kernel indexes the tensor before those ops, so they cost no copy
// (OperandView). The element-wise ops that consume its result one after
// another (bias, scale, activation, residual) run on its register tiles
// before they are stored (Epilogue).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_BACKENDS_CPU_LOWERCONTRACTIONS_CONTRACTIONFORM_H
#define ATTNC_BACKENDS_CPU_LOWERCONTRACTIONS_CONTRACTIONFORM_H

#include "../KernelBuilder.h"

#include "attnc/Dialect/Attn/IR/Attn.h"

namespace attnc::lowering {

/// A tensor read in place of a value computed from it by transposes, head
/// splits and merges, and float conversions: the value's ("logical") indices map to the
/// indices of the tensor those ops started from (the source).
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

  /// The element at `logical`, as f32.
  Value load(LoopBuilder &h, ValueRange logical) const;
  /// `width` elements along the logical last axis from `logical` on, as an
  /// f32 vector; the lanes at and after `count` are 0 and are not read.
  /// Needs lastAxisContiguous().
  Value loadRow(LoopBuilder &h, ValueRange logical, Value count, int64_t width) const;

private:
  SmallVector<Value> sourceIndices(LoopBuilder &h, ValueRange logical) const;
  /// The extent of axis `axis` of the value steps[first] produces (the
  /// source when first is past the steps).
  Value extentFrom(LoopBuilder &h, size_t first, int64_t axis) const;

  Value source, buffer;
  /// The transposes, head splits and merges and conversions between the
  /// value and the source, the value's producer first; and the width D of
  /// each head split or merge (null for the other steps).
  SmallVector<Operation *> steps;
  SmallVector<Value> headWidths;
};

/// The element-wise ops that consume a matmul's result one after another:
/// each takes the previous value (once or more) and tensors or scalars
/// computed elsewhere, and gives an f32 tensor of the matmul's shape. The
/// values between them have no other use.
struct Epilogue {
  SmallVector<attn::ElementwiseOpInterface> ops;
  /// The value the chain computes: the last op's result, or the matmul's.
  Value result;
};

Epilogue findEpilogue(attn::MatmulOp op);

} // namespace attnc::lowering

#endif
