//===- Passes.td - Passes on the attn dialect --------------*- tablegen -*-===//

#ifndef ATTN_TRANSFORMS_PASSES
#define ATTN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def FuseAttention : Pass<"attnc-fuse-attention", "::mlir::func::FuncOp"> {
  let summary = "Fuse score -> softmax -> weighted-sum chains into attn.attention";
  let description = [{
    Finds every `softmax(X, axis = last) @ V` (and the comprehension form
    `sum(j: w[.., i, j] * v[.., j, d])`) whose weights have no other use, and
    replaces it with one `attn.attention` op: the producers of `X` (element-wise
    ops, comprehensions, `matmul`, `transpose`) are inlined element by element
    into the score region, leading `where(cond, s, -inf)` conditions become the
    mask region, and the value operand becomes the value region. Nothing of the
    S x T score tensor is materialised any more.

    With `report-missed`, every softmax that is not fused gets a remark saying
    why; with `report-fused`, every fused chain gets one too.
  }];
  let options = [
    Option<"reportMissed", "report-missed", "bool", "false",
           "Remark on every softmax chain that is not fused, with the reason">,
    Option<"reportFused", "report-fused", "bool", "false",
           "Remark on every chain that is fused">
  ];
  let dependentDialects = ["::attnc::attn::AttnDialect", "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ScheduleAttention : Pass<"attnc-schedule-attention", "::mlir::func::FuncOp"> {
  let summary = "Choose and record the tiling of every attn.attention";
  let description = [{
    Sets the `schedule` attribute of each `attn.attention` op: query block,
    key block, vector width and register tile rows. Values given by the
    model's `schedule { ... }` block (recorded on the function as
    `attn.schedule`) or by this pass's options win over the automatic choice;
    a 0 option means "choose". The schedule stays visible in every later dump.
  }];
  let options = [
    Option<"blockQ", "block-q", "int64_t", "0", "Query block (rows of the output tile)">,
    Option<"blockK", "block-k", "int64_t", "0", "Key block (keys per online-softmax step)">,
    Option<"vectorWidth", "vector-width", "int64_t", "0", "f32 lanes per vector">,
    Option<"tileRows", "tile-rows", "int64_t", "0", "Register tile rows of the inner products">,
    Option<"targetVectorWidth", "target-vector-width", "int64_t", "16",
           "The target's natural f32 vector width (16 with AVX-512, 8 with AVX2)">,
    Option<"targetVectorRegisters", "target-vector-registers", "int64_t", "32",
           "The target's vector registers (32 with AVX-512, 16 with AVX2)">
  ];
}

#endif
