// RUN: attnc-opt %s --attnc-compute-outputs-in-place | FileCheck %s

// The product goes to output %y: its generic gets %y as its destination. The
// quotient shares the product's tensor.empty (as CSE leaves it) and goes to
// %z, where it is computed too; the empty tensor itself stays, so the two
// results never share a buffer.
// CHECK-LABEL: func @two_outputs
//  CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[Y:.*]]: memref<4xf32>, %[[Z:.*]]: memref<4xf32>)
//       CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
//       CHECK: %[[OUTY:.*]] = bufferization.to_tensor %[[Y]] restrict writable
//       CHECK: %[[P:.*]] = linalg.generic {{.*}} outs(%[[OUTY]] : tensor<4xf32>)
//       CHECK: %[[OUTZ:.*]] = bufferization.to_tensor %[[Z]] restrict writable
//       CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<4xf32>) outs(%[[OUTZ]] : tensor<4xf32>)
//       CHECK: %[[R:.*]] = linalg.generic {{.*}} outs(%[[E]] : tensor<4xf32>)
//       CHECK: bufferization.materialize_in_destination %[[P]] in restrict writable %[[Y]]
//       CHECK: bufferization.materialize_in_destination %[[Q]] in restrict writable %[[Z]]
#id = affine_map<(d0) -> (d0)>
func.func @two_outputs(%a: tensor<4xf32>, %y: memref<4xf32>, %z: memref<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %x : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%p : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %c = arith.constant 2.0 : f32
    %d = arith.divf %x, %c : f32
    linalg.yield %d : f32
  } -> tensor<4xf32>
  // Not an output: keeps its empty destination.
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<4xf32>
  bufferization.materialize_in_destination %p in restrict writable %y : (tensor<4xf32>, memref<4xf32>) -> ()
  bufferization.materialize_in_destination %q in restrict writable %z : (tensor<4xf32>, memref<4xf32>) -> ()
  return %r : tensor<4xf32>
}

// A destination that is read (not a tensor.empty) is left alone.
// CHECK-LABEL: func @read_destination
//   CHECK-NOT: bufferization.to_tensor
//       CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4xf32>)
func.func @read_destination(%a: tensor<4xf32>, %y: memref<4xf32>) {
  %p = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%a : tensor<4xf32>) {
  ^bb0(%o: f32):
    %m = arith.mulf %o, %o : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  bufferization.materialize_in_destination %p in restrict writable %y : (tensor<4xf32>, memref<4xf32>) -> ()
  return
}
