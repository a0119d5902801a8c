// RUN: attnc-opt %s --allow-unregistered-dialect --attnc-linear-cse | FileCheck %s

// Equal region-free operations merge with the first, also from inside a
// nested region; operations with regions, and those with memory effects,
// stay as they are.
// CHECK-LABEL: func.func @merges
//  CHECK-SAME: (%[[X:.*]]: tensor<?xf32>, %[[M:.*]]: memref<4xf32>, %[[N:.*]]: index)
//       CHECK:   %[[C0:.*]] = arith.constant 0 : index
//   CHECK-NOT:   arith.constant 0 : index
//       CHECK:   %[[D:.*]] = tensor.dim %[[X]], %[[C0]]
//   CHECK-NOT:   tensor.dim
//       CHECK:   %[[E:.*]] = tensor.empty(%[[D]])
//   CHECK-NOT:   tensor.empty
//       CHECK:   linalg.generic {{.*}} outs(%[[E]]
//       CHECK:   linalg.generic {{.*}} outs(%[[E]]
//       CHECK:   memref.load %[[M]][%[[C0]]]
//       CHECK:   memref.load %[[M]][%[[C0]]]
//       CHECK:   scf.for
//       CHECK:     %[[SUM:.*]] = arith.addi %[[D]], %[[N]]
//   CHECK-NOT:     arith.addi
//       CHECK:     "test.use"(%[[SUM]], %[[SUM]])
#id = affine_map<(d0) -> (d0)>
func.func @merges(%x: tensor<?xf32>, %m: memref<4xf32>, %n: index) -> (tensor<?xf32>, tensor<?xf32>, f32, f32) {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%d) : tensor<?xf32>
  %c0b = arith.constant 0 : index
  %d2 = tensor.dim %x, %c0b : tensor<?xf32>
  %e2 = tensor.empty(%d2) : tensor<?xf32>
  %g1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?xf32>
  %g2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%e2 : tensor<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?xf32>
  %l1 = memref.load %m[%c0] : memref<4xf32>
  %l2 = memref.load %m[%c0b] : memref<4xf32>
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %s1 = arith.addi %d, %n : index
    %s2 = arith.addi %d2, %n : index
    "test.use"(%s1, %s2) : (index, index) -> ()
  }
  return %g1, %g2, %l1, %l2 : tensor<?xf32>, tensor<?xf32>, f32, f32
}


// Nothing is shared between the blocks of a multi-block region, nor into a
// function (isolated from above).
// CHECK-LABEL: func.func @blocks
//       CHECK:   ^bb1:
//  CHECK-NEXT:     arith.constant 1 : i32
//       CHECK:   ^bb2:
//  CHECK-NEXT:     arith.constant 1 : i32
func.func @blocks(%c: i1) -> i32 {
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  %a = arith.constant 1 : i32
  return %a : i32
^bb2:
  %b = arith.constant 1 : i32
  return %b : i32
}
