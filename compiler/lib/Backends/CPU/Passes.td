//===- Passes.td - The CPU backend's passes ----------------*- tablegen -*-===//
//
// Everything here is specific to CPUs and the host runtime: the attention
// kernel's loop nest over vector tiles, loops on the runtime's thread pool,
// buffers from the runtime, and the C calling convention of kernels.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_BACKENDS_CPU_PASSES
#define ATTNC_BACKENDS_CPU_PASSES

include "mlir/Pass/PassBase.td"

def LowerAttention : Pass<"attnc-cpu-lower-attention", "::mlir::ModuleOp"> {
  let summary = "Lower attn.attention to the CPU's online-softmax loop nest";
  let description = [{
    Each `attn.attention` becomes one task per (batch index, block of
    `block_q` queries) in an `scf.parallel`, a loop over key blocks carrying
    the running maximum, running sum and accumulator in stack buffers, and
    register-tiled inner products vectorised over queries (sizes from the
    op's schedule). The score, mask and value regions are cloned into the
    loops as scalar attn ops, which `attnc-convert-attn-to-linalg` lowers
    next. See LowerAttention.cpp for the loop nest.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect", "::mlir::bufferization::BufferizationDialect"
  ];
}

def LowerContractions : Pass<"attnc-cpu-lower-contractions", "::mlir::ModuleOp"> {
  let summary = "Lower attn.matmul to packed, register-tiled GEMM kernels";
  let description = [{
    Each `attn.matmul` becomes an `scf.parallel` over tasks (batch index,
    block of rows, block of columns) in which blocks of B are packed into
    panels and register tiles of accumulators (sized from the target's
    vector registers) run over the depth in vectors of columns. Operands are
    read through the `attn.transpose`, `attn.heads`, `attn.unheads` and
    f16/bf16-to-f32 `attn.convert` ops that produced them, without copies; the element-wise
    ops that consume the result one after another (bias, scale, activation,
    residual) run on the tiles before they are stored. Comprehensions that
    are contractions (`sum(k: a[i, k] * b[k, j])`, with batch axes and in
    any index order) become matmuls first. See GemmKernel.cpp for the loop
    nest.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of the target's vector registers">,
    Option<"vectorRegisters", "vector-registers", "int64_t", /*default=*/"32",
           "the target's number of vector registers">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::memref::MemRefDialect", "::mlir::vector::VectorDialect",
    "::mlir::bufferization::BufferizationDialect", "::mlir::math::MathDialect"
  ];
}

def ProfileKernels : Pass<"attnc-cpu-profile-kernels", "::mlir::ModuleOp"> {
  let summary = "Time each loop nest of a kernel (attnc bench --profile)";
  let description = [{
    After each loop nest of a model's kernel, the kernel reads the
    runtime's clock (`attnc_profile_now`) and adds the time since the
    previous reading to the nest's counter, in the exported global
    `KERNEL__profile_ns`; `KERNEL__profile_count` holds the number of nests
    and `KERNEL__profile_sites` what each computes and where it comes from in
    the model. Only `attnc bench --profile` compiles kernels this way.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::func::FuncDialect"];
}

def WrapKernels : Pass<"attnc-cpu-wrap-kernels", "::mlir::ModuleOp"> {
  let summary = "Give each model's function the CPU kernel's calling convention";
  let description = [{
    The front end makes each model a target-free function `(dims, tensors...)`
    marked `attn.model`. On the CPU a kernel also takes the runtime context,
    which its parallel loops and its buffers need: this pass adds it as a
    leading `!llvm.ptr {attn.name = "ctx"}` argument and drops the mark.
    The layout is that of docs/internals/abi.md, which
    `attnc-pack-kernel-arguments` then turns into one array of pointers.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def HalidePipelines : Pass<"attnc-cpu-halide-pipelines", "::mlir::ModuleOp"> {
  let summary = "Compile runs of loop nests as Halide pipelines that the kernel calls";
  let description = [{
    In a kernel, each run of the loop nests Halide takes (`linalg.fill` of a
    constant, element-wise and reduction `linalg.generic`s on f32 buffers:
    `whyNotAPipeline` in attnc/Backends/Halide/Pipelines.h), with nothing
    that touches memory between them, is compiled ahead of time as one
    Halide pipeline `KERNEL__halideN`, into an object of its own (and its
    lowered statement beside it, for `--emit=halide`) in `object-dir`. The
    run is replaced by a call of the runtime's
    `attnc_kernel_call_halide(ctx, KERNEL__halideN_argv, layout, operands)`:
    the memref descriptors of the run's inputs and outputs travel in a stack
    struct, `layout` ({count, then rank, type code, bits per operand}) says
    how to read them, and the runtime builds Halide's buffers from them.
    Buffers only the run used are no longer allocated. The module lists the
    objects in `attnc.halide_objects`, which the backend links into the
    model's object (and the JIT loads).
  }];
  let options = [
    Option<"halideTarget", "halide-target", "std::string", /*default=*/"\"\"",
           "Halide's target string (default: this machine's)">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "f32 lanes of the target's vector registers">,
    Option<"objectDir", "object-dir", "std::string", /*default=*/"\"\"",
           "Where the pipelines' objects go (default: a new temporary folder)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::func::FuncDialect"];
}

def ParallelLoopsToRuntime : Pass<"attnc-parallel-loops-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Run 1-D scf.parallel loops on the runtime's thread pool";
  let description = [{
    In a kernel (a function whose first argument is the runtime context,
    `!llvm.ptr`), each outermost one-dimensional `scf.parallel` becomes a
    function `KERNEL__parN(captures, begin, end)` that runs the iterations
    `[begin, end)` as an `scf.for`, and a call of the runtime's
    `attnc_parallel_for(ctx, count, grain, KERNEL__parN, captures)`. The
    values the body uses travel in a stack struct of their LLVM types, stored
    and loaded field by field (unrealized casts on both sides fold away in
    the LLVM conversion).
    Elsewhere the loop is left alone (and runs sequentially). A loop with
    `attnc.max_threads = n` is launched with a grain of ceil(count / n)
    iterations, so that its at most n chunks occupy at most n threads; one
    with `attnc.min_grain = g` with a grain of g.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect"];
}

def ParallelizeLoopNests : Pass<"attnc-cpu-parallelize-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Run the model's outermost parallel loops on the thread pool, in chunks worth it";
  let description = [{
    In a kernel, each outermost `scf.parallel` without a thread cap (from the
    linalg ops outside the GEMM and attention kernels) keeps its first
    dimension parallel and runs the others as `scf.for` loops inside it, and
    gets `attnc.min_grain`: enough iterations per chunk for about 2^14
    operations of its body, so that a small loop stays on the calling
    thread. `attnc-parallel-loops-to-runtime` then launches it.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def FloatMinMaxToLLVM : Pass<"attnc-cpu-float-min-max-to-llvm"> {
  let summary = "arith.maximumf and arith.minimumf as LLVM's maximum and minimum intrinsics";
  let description = [{
    `arith-expand` (which the pipeline runs for its bf16 and division
    patterns) would also rewrite `arith.maximumf`/`minimumf` into compares and
    selects with NaN checks, a chain LLVM's loop vectoriser does not recognise
    as a reduction: a `max` over a row then runs a lane at a time.
    `llvm.intr.maximum`/`minimum` have the same semantics (NaN propagates,
    -0 < +0), LLVM vectorises their reductions, and x86 lowers them. Run just
    before `arith-expand`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
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
    A kernel (a function `(ctx: !llvm.ptr, dims: memref, ...)`, as
    `attnc-cpu-wrap-kernels` makes it) becomes `(args: !llvm.ptr)`, the array
    that `NAME__entry` receives (docs/internals/abi.md): entry 0 is the
    context, entry i points at the memref descriptor of argument i. The
    kernel loads, at its start, the entries of the arguments it uses.
    Spread over one LLVM argument per
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

#endif
