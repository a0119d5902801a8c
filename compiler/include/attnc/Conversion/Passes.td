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

def ParallelLoopsToRuntime : Pass<"attnc-parallel-loops-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Run 1-D scf.parallel loops on the runtime's thread pool";
  let description = [{
    In a kernel (a function whose first argument is the runtime context,
    `!llvm.ptr`), each outermost one-dimensional `scf.parallel` becomes a
    function `KERNEL__parN(captures, begin, end)` that runs the iterations
    `[begin, end)` as an `scf.for`, and an `attn.parallel_launch` of it. The
    values the body uses travel in a stack struct of their LLVM types, stored
    and loaded field by field (unrealized casts on both sides fold away in
    the LLVM conversion).
    Elsewhere the loop is left alone (and runs sequentially). A loop with
    `attnc.max_threads = n` is launched with a grain of ceil(count / n)
    iterations, so that its at most n chunks occupy at most n threads.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect"];
}

def BuffersToRuntime : Pass<"attnc-buffers-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Allocate a kernel's heap buffers through the runtime, all at once, checked";
  let description = [{
    In a kernel (a function whose first argument is the runtime context,
    `!llvm.ptr`), every `memref.alloc` is moved to the start, with the
    computation of its sizes, and replaced by a view of a buffer that one
    call of the runtime's `attnc_kernel_alloc_buffers` allocates for all of
    them. The call checks every size (nothing can wrap) and every
    allocation; when one fails it records why, naming the buffer by its
    source location, and the rest of the kernel, which the pass puts under
    an `scf.if`, does not run: no output is written, nothing leaks. The
    buffers belong to the run and are freed after it, so the kernel has no
    `memref.dealloc`. Buffers of loop iterations (a heap buffer freed in the
    loop, a stack buffer whose size is known only at run time or is above
    64 KiB) become slices of a per-thread scratch the same call allocates,
    so that the stack never grows with the input or the schedule. A buffer
    whose size is known and overflows 64 bits is a compile-time error.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect", "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def PackKernelArguments : Pass<"attnc-pack-kernel-arguments", "::mlir::ModuleOp"> {
  let summary = "A kernel takes the runtime's array of argument pointers";
  let description = [{
    A kernel (a function with `llvm.emit_c_interface` whose first argument is
    the runtime context, `!llvm.ptr`) becomes `(args: !llvm.ptr)`, the array
    that `NAME__entry` receives (docs/internals/abi.md): entry 0 is the
    context, entry i points at the memref descriptor of argument i. The
    kernel loads, at its start, the entries of the arguments it uses, and
    loses its C-interface attribute. Spread over one LLVM argument per
    descriptor field, a model with thousands of tensors made LLVM's
    interprocedural passes take minutes.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def SplitLargeFunctions : Pass<"attnc-split-large-functions", "::mlir::ModuleOp"> {
  let summary = "Cut functions of more than 512 operations into calls of smaller ones";
  let description = [{
    Several of LLVM's passes take time quadratic in the size of a function,
    and a model of N declarations lowers to a kernel of about N loop nests.
    In a function of more than 512 operations, the blocks that run once
    (the body, and the blocks of the scf.if ops in it, never a loop body)
    are cut into segments of about 128 operations, never between a stack
    allocation and its last use. Each segment moves into a private,
    never-inlined function `NAME__segment0`, `NAME__segment1`, ... called
    where it was: the values it uses arrive in a record on the caller's
    stack (constants and address computations are recreated), those it
    defines for later code come back in another. Smaller functions are left
    as they are.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::func::FuncDialect"];
}

def ParallelLaunchToLLVM : Pass<"attnc-parallel-launch-to-llvm", "::mlir::ModuleOp"> {
  let summary = "Turn attn.parallel_launch into a call of attnc_parallel_for";
  let description = [{
    Runs once the module is in the LLVM dialect:
    `attnc_parallel_for(ctx, count, grain, &body, captures)`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif
