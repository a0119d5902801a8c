//===- AttentionLowering.h - Lowering of attn.attention ---------*- C++ -*-===//
#ifndef ATTNC_CONVERSION_ATTNTOLINALG_ATTENTIONLOWERING_H
#define ATTNC_CONVERSION_ATTNTOLINALG_ATTENTIONLOWERING_H

#include "mlir/IR/PatternMatch.h"

namespace attnc {
/// attn.attention -> the tiled online-softmax loop nest (LowerAttention.cpp).
void populateAttentionLoweringPatterns(mlir::RewritePatternSet &patterns);
} // namespace attnc

#endif
