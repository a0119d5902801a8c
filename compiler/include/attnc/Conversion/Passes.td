//===- Passes.td - attnc conversion passes -----------------*- tablegen -*-===//

#ifndef ATTNC_CONVERSION_PASSES
#define ATTNC_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertAttnToLinalg : Pass<"attnc-convert-attn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower every attn op to linalg, tensor, scf, arith and math";
  let description = [{
    The target-neutral lowering of every attn op but `attn.attention`, which
    each backend lowers to its own kernel first (the CPU backend:
    `attnc-cpu-lower-attention`); an `attn.attention` left here is an error.
    Element-wise ops with tensor operands become `linalg.generic` ops with
    broadcasting indexing maps; on scalars (comprehension bodies, and the
    scalar attn ops a backend's attention kernel is built from) they become `arith`/`math` ops. `attn.matmul`, `attn.transpose` and the
    reductions become `linalg.generic` ops with reduction iterators; softmax,
    layernorm and rmsnorm become a short chain of them (softmax keeps fully
    masked rows at 0). Ops that move data (`heads`, `unheads`, `reshape`,
    `concat`) and `attn.comprehension` become output-only `linalg.generic`
    ops whose bodies compute source indices and read with `tensor.extract`;
    `attn.read` guards its read with `scf.if` (zero padding) and
    `attn.index_reduce` becomes an `scf.for` nest carrying the accumulator.

    With `reassociate-reductions`, the additions of float sums and means carry
    `fastmath<reassoc>`, so that LLVM may split a sum into vector lanes: the
    result moves by roundings, within the tolerance of ARCHITECTURE.md, and
    NaN and infinities still propagate. The CPU pipeline sets it at -O1 and
    above; at -O0 every sum adds in index order.
  }];
  let options = [
    Option<"reassociateReductions", "reassociate-reductions", "bool", /*default=*/"false",
           "Let float sums be reassociated (vectorised)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect", "::mlir::bufferization::BufferizationDialect"
  ];
}

def ApproximateMath : Pass<"attnc-approximate-math"> {
  let summary = "Replace exp, tanh, erf, log ... by polynomial approximations";
  let description = [{
    Upstream MLIR's polynomial approximations: arithmetic only, so loops that
    call them vectorise (a libm call does not). Used at -O1 and above; -O0
    keeps the C library's functions.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def LinearCSE : Pass<"attnc-linear-cse"> {
  let summary = "Merge equal region-free operations, in time linear in the IR";
  let description = [{
    Common-subexpression elimination for operations without regions and
    without memory effects (constants, dims, empty tensors, index and scalar
    arithmetic): each is replaced by an equal one that dominates it, in its
    block or in a block enclosing it. Operations with regions
    (`linalg.generic`) are left alone: MLIR's `--cse` hashes them without
    their regions and so compares each with every other of the same shape,
    time quadratic in a model with many outputs of one input.
  }];
}

def ComputeOutputsInPlace : Pass<"attnc-compute-outputs-in-place"> {
  let summary = "Compute a model output in its buffer rather than in a temporary";
  let description = [{
    A result written to an output by `bufferization.materialize_in_destination`
    (into a restrict, writable memref) whose producer is a destination-style
    op on a `tensor.empty` gets the output itself as its destination, a
    `bufferization.to_tensor` of it: One-Shot Bufferize then writes the output
    in place instead of filling a temporary and copying it. Only that
    producer's operand is replaced, never the tensor.empty itself, which CSE
    may have made the destination of other ops too (upstream's
    empty-tensor-elimination replaces all of its uses, and two results then
    share the output's buffer). Run just before bufferization.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def SeparateInitTensors : Pass<"attnc-separate-init-tensors"> {
  let summary = "Bound the uses of each tensor.empty, and of each linalg.fill of one";
  let description = [{
    CSE makes one `tensor.empty` (or fill of one) the destination of every op
    of its shape, which lets One-Shot Bufferize reuse the buffer of a dead
    result, but its in-place analysis compares every write into such aliases
    with every other one: time cubic in the number of ops. This pass leaves
    each such value its first 32 uses in program order and gives every
    further 32 a copy placed beside it (a fill's copy fills a copy of its
    empty tensor). Run just before bufferization; models below the bound
    are unchanged.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

#endif
