//===- AttentionForms.h - The fast forms of a fused attention -*- C++ -*-===//
//
// What every backend's attention kernel looks for in the regions of an
// attn.attention: a score that contains the inner product of a query row
// and a key row (the "dot" form), and values read straight from a tensor
// (the "value" form); a kernel computes those with tiled products and the
// rest of the regions element by element.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DIALECT_ATTN_ANALYSIS_ATTENTIONFORMS_H
#define ATTNC_DIALECT_ATTN_ANALYSIS_ATTENTIONFORMS_H

#include "attnc/Dialect/Attn/IR/Attn.h"

#include <optional>

namespace attnc::attn {

/// A read `t[lead..., row, col]` whose leading indices depend only on the
/// batch arguments: the operand of a tiled inner product.
struct TiledOperand {
  ReadOp read;
  mlir::Value tensor;
  llvm::SmallVector<mlir::Value> lead;  // in the region, to be cloned per task
  /// The axes whose lead index is not known to be in bounds (k[.., h / G, ..]):
  /// a read outside the tensor yields 0, which a tile load does not do, so
  /// a kernel takes the tiles only after checking them.
  llvm::SmallVector<int64_t> checkedAxes;
};

/// The score's `sum(d: q[.., i, d] * k[.., j, d])`, if it has one.
struct DotForm {
  IndexReduceOp reduce;
  TiledOperand q, k;
};

/// The dot form of the op's score region; none when the region has two
/// inner products or the product's body computes more than the two reads.
std::optional<DotForm> findDotForm(AttentionOp op);

/// The value region as `v[lead(batch), j, d]`, if it is one.
std::optional<TiledOperand> findValueForm(AttentionOp op);

/// Whether `v` depends, inside `region`, only on the block arguments in
/// `allowed` (values defined outside the region count as uniform).
bool dependsOnlyOn(mlir::Value v, llvm::ArrayRef<mlir::BlockArgument> allowed,
                   mlir::Region &region);

} // namespace attnc::attn

#endif
