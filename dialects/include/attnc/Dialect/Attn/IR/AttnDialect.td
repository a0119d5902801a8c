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
