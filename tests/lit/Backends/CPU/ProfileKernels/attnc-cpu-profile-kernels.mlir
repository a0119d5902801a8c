// RUN: attnc-opt %s --attnc-cpu-profile-kernels | FileCheck %s

// Two loop nests, one of them inside the scf.if that guards a kernel's body:
// the clock is read at the start and after each nest, and each nest's
// counter grows by the time since the previous reading (kept in the last
// counter). The sites name what each nest computes and where it comes from.
// CHECK: func.func private @attnc_profile_now() -> i64
// CHECK: llvm.mlir.global external constant @k__profile_count(2 : i64)
// CHECK: llvm.mlir.global external @k__profile_ns(dense<0> : tensor<3xi64>) {{.*}} : !llvm.array<3 x i64>
// CHECK: llvm.mlir.global external constant @k__profile_sites("'h' at m.attn:3:7\093:7 97:1 \00the value at m.attn:5:9\095:9 \00\00")
// CHECK-LABEL: func.func @k(
//       CHECK:   %[[T0:.*]] = call @attnc_profile_now()
//       CHECK:   llvm.store %[[T0]]
//       CHECK:   scf.for
//       CHECK:   }
//  CHECK-NEXT:   %[[T1:.*]] = call @attnc_profile_now()
//       CHECK:   %[[LAST:.*]] = llvm.getelementptr %{{.*}}[0, 2]
//       CHECK:   %[[PREV:.*]] = llvm.load %[[LAST]]
//       CHECK:   %[[SLOT:.*]] = llvm.getelementptr %{{.*}}[0, 0]
//       CHECK:   %[[D:.*]] = llvm.sub %[[T1]], %[[PREV]]
//       CHECK:   %[[OLD:.*]] = llvm.load %[[SLOT]]
//       CHECK:   %[[NEW:.*]] = llvm.add %[[OLD]], %[[D]]
//       CHECK:   llvm.store %[[NEW]], %[[SLOT]]
//       CHECK:   llvm.store %[[T1]]
//       CHECK:   scf.if
//       CHECK:     scf.parallel
//       CHECK:     call @attnc_profile_now()
//       CHECK:     llvm.getelementptr %{{.*}}[0, 1]
func.func @k(%ctx: !llvm.ptr, %dims: memref<1xi64>, %x: memref<8xf32>, %ok: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %f, %x[%i] : memref<8xf32>
  } loc(fused["h"("m.attn":3:7), "m.attn":97:1])
  scf.if %ok {
    scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
      memref.store %f, %x[%i] : memref<8xf32>
    } loc("m.attn":5:9)
  }
  return
}
