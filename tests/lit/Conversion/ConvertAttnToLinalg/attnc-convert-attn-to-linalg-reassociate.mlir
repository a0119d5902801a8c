// RUN: attnc-opt %s --attnc-convert-attn-to-linalg | FileCheck %s --check-prefix=ORDERED
// RUN: attnc-opt %s --attnc-convert-attn-to-linalg=reassociate-reductions | FileCheck %s

// With reassociate-reductions, the additions of float sums (of comprehensions,
// attn.reduce and the norms) may be reordered; max stays as it is, and
// without the option every sum adds in index order.
// CHECK-LABEL: func @sums
//       CHECK: scf.for
//       CHECK:   arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f32
//       CHECK: linalg.generic
//       CHECK:   arith.maximumf %{{.*}}, %{{.*}} : f32
//       CHECK: linalg.generic
//       CHECK:   arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f32
// ORDERED-LABEL: func @sums
//   ORDERED-NOT: fastmath
func.func @sums(%x: tensor<?x8xf32>, %n: index) -> (tensor<?xf32>, tensor<?x8xf32>) {
  %e = attn.comprehension [%n] : tensor<?xf32> {
  ^bb0(%i: index):
    %c8 = arith.constant 8 : index
    %s = attn.index_reduce sum [%c8] : f32 {
    ^bb0(%h: index):
      %v = attn.read %x[%i, %h] {in_bounds} : tensor<?x8xf32>
      attn.yield %v : f32
    }
    attn.yield %s : f32
  }
  %p = attn.softmax %x axis = 1 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %e, %p : tensor<?xf32>, tensor<?x8xf32>
}
