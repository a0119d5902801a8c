//===- Passes.td - attnc conversion passes -----------------*- tablegen -*-===//

#ifndef ATTNC_CONVERSION_PASSES
#define ATTNC_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertAttnToLinalg : Pass<"convert-attn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower every attn op to linalg, tensor, scf, arith and math";
  let description = [{
    The straightforward lowering used at -O0 and for every op the fusion pass
    leaves alone. Element-wise ops with tensor operands become
    `linalg.generic` ops with broadcasting indexing maps; on scalars they
    become `arith`/`math` ops. `attn.matmul`, `attn.transpose` and the
    reductions become `linalg.generic` ops with reduction iterators; softmax,
    layernorm and rmsnorm become a short chain of them (softmax keeps fully
    masked rows at 0). Ops that move data (`heads`, `unheads`, `reshape`,
    `concat`) and `attn.comprehension` become output-only `linalg.generic`
    ops whose bodies compute source indices and read with `tensor.extract`;
    `attn.read` guards its read with `scf.if` (zero padding) and
    `attn.index_reduce` becomes an `scf.for` nest carrying the accumulator.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif
