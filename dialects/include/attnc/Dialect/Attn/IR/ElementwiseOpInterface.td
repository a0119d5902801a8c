//===- ElementwiseOpInterface.td - What an element-wise op computes -*- tablegen -*-===//

#ifndef ATTN_ELEMENTWISE_OP_INTERFACE
#define ATTN_ELEMENTWISE_OP_INTERFACE

include "mlir/IR/OpBase.td"

def Attn_ElementwiseOpInterface : OpInterface<"ElementwiseOpInterface"> {
  let cppNamespace = "::attnc::attn";
  let description = [{
    An op that computes each element of its result from the elements of its
    operands at the same (broadcast) position: what it computes on one
    element is the one definition every lowering uses (linalg.generic bodies,
    comprehension bodies, the attention kernels' regions), and the fusion
    pass may inline it element by element. An op is element-wise by having
    this interface; its ODS entry defines `buildScalar`.
  }];
  let methods = [
    InterfaceMethod<[{
        Emits the computation of one element from the operand elements
        `operands` (f32, index, i64, i32 or i1 scalars), giving a value of
        `resultType`.
      }],
      "::mlir::Value", "buildScalar",
      (ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc, "::mlir::ValueRange":$operands,
           "::mlir::Type":$resultType)>,
    InterfaceMethod<[{
        What is known of the result over a tile of indices, from what is known
        of the operands (IntervalFacts.h), the facts' computation emitted at
        `b`. By default nothing: an op with an interval rule defines it.
      }],
      "::attnc::attn::IntervalFact", "evaluateInterval",
      (ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc,
           "::llvm::ArrayRef<::attnc::attn::IntervalFact>":$operands),
      /*methodBody=*/"", /*defaultImplementation=*/[{ return {}; }]>
  ];
}

#endif
