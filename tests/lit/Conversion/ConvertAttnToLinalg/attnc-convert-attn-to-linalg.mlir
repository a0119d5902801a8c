// RUN: attnc-opt %s --attnc-convert-attn-to-linalg --split-input-file | FileCheck %s

// Tensor operands become inputs read through broadcasting maps; a scalar is
// used in the body as it is.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @broadcast_add
//  CHECK-SAME: (%[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>, %[[S:.*]]: f32)
//       CHECK: %[[E:.*]] = tensor.empty
//       CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
//  CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<?x4xf32>)
//       CHECK: arith.addf
//       CHECK: linalg.generic
//       CHECK: arith.mulf %{{.*}}, %[[S]] : f32
func.func @broadcast_add(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %s: f32) -> tensor<?x4xf32> {
  %0 = attn.add %a, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %1 = attn.mul %0, %s : tensor<?x4xf32>, f32 -> tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}

// -----

// Integer division on scalars is floor division; by 0 it gives 0, and
// MIN / -1, the quotient that overflows, divides by 1 instead (wrapping).
// CHECK-LABEL: func @scalar_int_div
//  CHECK-SAME: (%[[I:.*]]: index, %[[J:.*]]: index)
//   CHECK-DAG: %[[MIN:.*]] = arith.constant -9223372036854775808 : i64
//   CHECK-DAG: %[[M1:.*]] = arith.constant -1 : i64
//   CHECK-DAG: %[[A:.*]] = arith.index_cast %[[I]] : index to i64
//   CHECK-DAG: %[[B:.*]] = arith.index_cast %[[J]] : index to i64
//       CHECK: %[[Z:.*]] = arith.cmpi eq, %[[B]]
//   CHECK-DAG: %[[BM1:.*]] = arith.cmpi eq, %[[B]], %[[M1]]
//   CHECK-DAG: %[[AMIN:.*]] = arith.cmpi eq, %[[A]], %[[MIN]]
//       CHECK: %[[OVF:.*]] = arith.andi %[[AMIN]], %[[BM1]]
//       CHECK: %[[BAD:.*]] = arith.ori %[[Z]], %[[OVF]]
//       CHECK: %[[SAFE:.*]] = arith.select %[[BAD]]
//       CHECK: %[[Q:.*]] = arith.floordivsi %[[A]], %[[SAFE]] : i64
//       CHECK: arith.select %[[Z]], %{{.*}}, %[[Q]] : i64
func.func @scalar_int_div(%i: index, %j: index) -> index {
  %0 = attn.div %i, %j : index, index -> index
  return %0 : index
}

// -----

// CHECK-DAG: #[[$MA:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$MB:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$MC:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @matmul
//       CHECK: %[[INIT:.*]] = linalg.fill
//       CHECK: linalg.generic {indexing_maps = [#[[$MA]], #[[$MB]], #[[$MC]]], iterator_types = ["parallel", "parallel", "reduction"]}
//  CHECK-SAME: outs(%[[INIT]] : tensor<?x?xf32>)
//       CHECK: arith.mulf
//       CHECK: arith.addf
func.func @matmul(%a: tensor<?x3xf32>, %b: tensor<3x?xf32>) -> tensor<?x?xf32> {
  %0 = attn.matmul %a, %b : tensor<?x3xf32>, tensor<3x?xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Softmax: row max, exponentials (0 where the row is all -inf), row sum,
// division (0 where the sum is 0): a fully masked row gives 0, never NaN.
// CHECK-LABEL: func @softmax
//       CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
//       CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
//       CHECK:   arith.maximumf
//       CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
//       CHECK:   %[[MASKED:.*]] = arith.cmpf oeq, %{{.*}}, %[[NINF]] : f32
//       CHECK:   %[[EXP:.*]] = math.exp
//       CHECK:   arith.select %[[MASKED]], %{{.*}}, %[[EXP]] : f32
//       CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
//       CHECK:   arith.addf
//       CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
//       CHECK:   %[[EMPTY:.*]] = arith.cmpf oeq
//       CHECK:   %[[DIV:.*]] = arith.divf
//       CHECK:   arith.select %[[EMPTY]], %{{.*}}, %[[DIV]] : f32
func.func @softmax(%a: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = attn.softmax %a axis = 1 : tensor<?x?xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// A comprehension is an output-only generic whose body reads with bounds
// checks (zero padding); a reduction over bound indices is an scf.for nest.
// CHECK-LABEL: func @comprehension
//  CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>, %[[N:.*]]: index)
//       CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
//       CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<?xf32>)
//       CHECK:   %[[I:.*]] = linalg.index 0 : index
//       CHECK:   scf.for %[[H:.*]] = {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
//       CHECK:     %[[OK:.*]] = arith.andi
//       CHECK:     %[[V:.*]] = scf.if %[[OK]] -> (f32)
//       CHECK:       tensor.extract %[[X]][%[[I]], %[[H]]]
//       CHECK:     } else {
//       CHECK:     arith.addf %[[ACC]], %[[V]] : f32
func.func @comprehension(%x: tensor<?x3xf32>, %n: index) -> tensor<?xf32> {
  %e = attn.comprehension [%n] : tensor<?xf32> {
  ^bb0(%i: index):
    %c3 = arith.constant 3 : index
    %s = attn.index_reduce sum [%c3] : f32 {
    ^bb0(%h: index):
      %v = attn.read %x[%i, %h] : tensor<?x3xf32>
      attn.yield %v : f32
    }
    attn.yield %s : f32
  }
  return %e : tensor<?xf32>
}
