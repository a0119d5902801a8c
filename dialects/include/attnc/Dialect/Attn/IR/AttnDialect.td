//===- AttnDialect.td - The attn dialect -------------------*- tablegen -*-===//

#ifndef ATTN_DIALECT
#define ATTN_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::attnc::attn";
  let summary = "Attention models as written in .attn files";
  let description = [{
    The `attn` dialect mirrors the model language one construct per op: tensor
    level operations with NumPy broadcasting (`attn.add`, `attn.matmul`,
    `attn.softmax`, ...), element-wise definitions (`attn.comprehension`, a
    region over the result's indices), reductions over bound indices
    (`attn.index_reduce`) and zero-padded element reads (`attn.read`).

    Values are ranked tensors (`f32`, `i32` or `i1` elements; a `?` extent is
    a symbolic dim) or scalars: `f32` for numbers, `index` for integers (dims,
    index variables, integer literals) and `i1` for conditions. Every
    element-wise op accepts tensors and scalars alike, so one op serves the
    tensor level and the bodies of comprehensions.
  }];
  let useDefaultAttributePrinterParser = 1;
  // `attn.schedule` on a function: the model's schedule block.
  let hasOperationAttrVerify = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

// A number a schedule may leave out; written out, 0 is checked like any value.
class Attn_OptionalCount<string desc> : OptionalParameter<"std::optional<int64_t>", desc> {
  let printer = "$_printer << *$_self";
  // Written out, it must be an integer (`block_q = 2.0` is an error there).
  let parser = [{ [&]() -> ::mlir::FailureOr<std::optional<int64_t>> {
    int64_t value;
    if ($_parser.parseInteger(value))
      return ::mlir::failure();
    return std::optional<int64_t>(value);
  }() }];
}

def Attn_ScheduleAttr : AttrDef<Attn_Dialect, "Schedule"> {
  let mnemonic = "schedule";
  let summary = "how fused attention is tiled and run";
  let description = [{
    Every directive of a model's `schedule { ... }` block, and the schedule
    `attnc-schedule-attention` applies to an `attn.attention`. A number left
    left out means "not given": the scheduling pass chooses it.

    | parameter | directive | meaning |
    | --- | --- | --- |
    | `block_q`, `block_k` | `tile(i = Q, j = K)` | query and key block of fused attention |
    | `vector_width`, `vectorize_axes` | `vectorize(axes, W)` | f32 lanes per vector |
    | `tile_rows`, `unroll_axes` | `unroll(axes, R)` | rows of the register tiles |
    | `threads` | `threads(n)` | the most threads the kernel's tasks run on |
    | `split` | `split(axes, f)` | factor per axis |
    | `parallel` | `parallel(axes)` | axes run in parallel on the CPU |
    | `gpu_blocks` | `gpu_blocks(axes)` | axes mapped to GPU thread blocks |
    | `gpu_threads`, `warps` | `gpu_threads(axis = n, warps = w)` | a GPU block's shape |

    On the CPU today fused attention applies the four tile numbers and
    `threads`; the others are carried for the backends that will read them
    (docs/language.md, "Scheduling"). Values follow ScheduleRules.h, checked
    wherever the attribute is built or parsed; an unknown key does not parse.

    Example:

    ```mlir
    #attn.schedule<block_q = 64, block_k = 128, vector_width = 16, tile_rows = 8,
                   parallel = ["b", "h"]>
    ```
  }];
  let parameters = (ins
    Attn_OptionalCount<"queries per block">:$block_q,
    Attn_OptionalCount<"keys per online-softmax step">:$block_k,
    Attn_OptionalCount<"f32 lanes per vector">:$vector_width,
    Attn_OptionalCount<"rows of the register tiles">:$tile_rows,
    Attn_OptionalCount<"most threads">:$threads,
    OptionalParameter<"::mlir::ArrayAttr", "axes of vectorize">:$vectorize_axes,
    OptionalParameter<"::mlir::ArrayAttr", "axes of unroll">:$unroll_axes,
    OptionalParameter<"::mlir::DictionaryAttr", "split factor per axis">:$split,
    OptionalParameter<"::mlir::ArrayAttr", "parallel axes">:$parallel,
    OptionalParameter<"::mlir::ArrayAttr", "axes on GPU thread blocks">:$gpu_blocks,
    OptionalParameter<"::mlir::DictionaryAttr", "threads per GPU block axis">:$gpu_threads,
    Attn_OptionalCount<"warps per GPU block">:$warps
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let builders = [
    // What a fused attention applies: the numbers only.
    AttrBuilder<(ins "std::optional<int64_t>":$block_q, "std::optional<int64_t>":$block_k,
                     "std::optional<int64_t>":$vector_width, "std::optional<int64_t>":$tile_rows,
                     "std::optional<int64_t>":$threads), [{
      return $_get($_ctxt, block_q, block_k, vector_width, tile_rows, threads, nullptr, nullptr,
                   nullptr, nullptr, nullptr, nullptr, std::nullopt);
    }]>
  ];
  let extraClassDeclaration = [{
    /// The numbers the CPU's attention kernel uses, each the given value or
    /// the lowering's default (ScheduleRules.h).
    int64_t getBlockQOrDefault() const;
    int64_t getBlockKOrDefault() const;
    int64_t getVectorWidthOrDefault() const;
    int64_t getTileRowsOrDefault() const;
  }];
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Attn_ReduceKind : I32EnumAttr<"ReduceKind", "how a reduction combines", [
    I32EnumAttrCase<"sum", 0>, I32EnumAttrCase<"max", 1>,
    I32EnumAttrCase<"min", 2>, I32EnumAttrCase<"mean", 3>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::attnc::attn";
}
def Attn_ReduceKindAttr : EnumAttr<Attn_Dialect, Attn_ReduceKind, "reduce_kind">;

def Attn_CmpPredicate : I32EnumAttr<"CmpPredicate", "a comparison", [
    I32EnumAttrCase<"lt", 0>, I32EnumAttrCase<"le", 1>,
    I32EnumAttrCase<"gt", 2>, I32EnumAttrCase<"ge", 3>,
    I32EnumAttrCase<"eq", 4>, I32EnumAttrCase<"ne", 5>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::attnc::attn";
}
def Attn_CmpPredicateAttr : EnumAttr<Attn_Dialect, Attn_CmpPredicate, "cmp_predicate">;

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// Integers compute in 64 bits (i64; `index` as scalars); i32 is how they are
// stored.
def Attn_ElementType : AnyTypeOf<[F32, I64, I32, I1]>;
def Attn_Tensor : RankedTensorOf<[F32, I64, I32, I1]>;
def Attn_StorageTensor : RankedTensorOf<[F32, F16, BF16, I64, I32, I1]>;
def Attn_Scalar : AnyTypeOf<[F32, Index, I1]>;
def Attn_Value : AnyTypeOf<[Attn_Tensor, Attn_Scalar]>;
def Attn_AnyValue : AnyTypeOf<[Attn_StorageTensor, Attn_Scalar, I64, I32]>;

#endif // ATTN_DIALECT
