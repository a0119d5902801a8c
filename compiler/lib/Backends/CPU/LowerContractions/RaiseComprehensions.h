//===- RaiseComprehensions.h - Comprehensions that are contractions -*- C++ -*-===//
#ifndef ATTNC_BACKENDS_CPU_LOWERCONTRACTIONS_RAISECOMPREHENSIONS_H
#define ATTNC_BACKENDS_CPU_LOWERCONTRACTIONS_RAISECOMPREHENSIONS_H

#include "attnc/Dialect/Attn/IR/Attn.h"

#include "mlir/IR/PatternMatch.h"

namespace attnc::lowering {

/// Replaces `let c[batch..., i, j] = sum(k: a[...] * b[...])`, where each of
/// a and b is read at a permutation of bare indices (batch axes and k in
/// both, i only in a, j only in b), by attn.matmul of a and b transposed to
/// [batch..., i, k] and [batch..., k, j] (transposes the GEMM reads
/// through); returns the matmul, or null when `op` is no such contraction.
/// Reads at bare indices are in bounds: the checker gives an index the
/// extent of every axis it subscripts.
attn::MatmulOp raiseContraction(attn::ComprehensionOp op, mlir::RewriterBase &rewriter);

} // namespace attnc::lowering

#endif
