// RUN: attnc-opt %s --attnc-cpu-parallelize-loop-nests | FileCheck %s

// A two-dimensional loop keeps its first dimension parallel, the second
// becomes an scf.for inside it; its body of 4 operations over 384 columns
// asks for chunks of at least ceil(2^14 / (384 * 4 + 1)) = 11 rows. A loop
// with a thread cap, and one nested in another, are left alone; a loop of
// large bodies needs no minimum.
// CHECK-LABEL: func.func @k(
//       CHECK:   scf.parallel (%[[I:.*]]) = (%c0) to (%{{.*}}) step (%c1) {
//       CHECK:     scf.for %[[J:.*]] = %c0 to %c384 step %c1 {
//       CHECK:       memref.load %{{.*}}[%[[I]], %[[J]]]
//       CHECK:       arith.mulf
//       CHECK:       memref.store
//       CHECK:     }
//       CHECK:   } {attnc.min_grain = 11 : i64}
//       CHECK:   scf.parallel
//       CHECK:   } {attnc.max_threads = 2 : i64}
//   CHECK-NOT:   attnc.min_grain
//       CHECK:   return
func.func @k(%ctx: !llvm.ptr, %dims: memref<1xi64>, %x: memref<?x384xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c384 = arith.constant 384 : index
  %f = arith.constant 2.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c384) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x384xf32>
    %w = arith.mulf %v, %f : f32
    memref.store %w, %x[%i, %j] : memref<?x384xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c384) step (%c1) {
      %v = memref.load %x[%i, %j] : memref<?x384xf32>
      memref.store %v, %x[%i, %j] : memref<?x384xf32>
      scf.reduce
    }
    scf.reduce
  } {attnc.max_threads = 2 : i64}
  return
}
