// RUN: attnc-opt %s --attnc-parallel-loops-to-runtime | FileCheck %s

// In a kernel (first argument: the runtime context), the loop body moves to
// a chunk function; the captured buffer travels in a stack struct and the
// constant is rematerialised; the stack buffer is allocated once per chunk.
// The loop becomes a call of the runtime, declared once.
//       CHECK: func.func private @attnc_parallel_for(!llvm.ptr, i64, i64, (!llvm.ptr, i64, i64) -> (), !llvm.ptr)
//   CHECK-NOT: func.func private @attnc_parallel_for
// CHECK-LABEL: func.func @kernel(
//  CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[BUF:.*]]: memref<?xf32>
//       CHECK:   %[[SLOT:.*]] = llvm.alloca {{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)>
//       CHECK:   %[[FIELD:.*]] = llvm.getelementptr inbounds %[[SLOT]][0, 0]
//       CHECK:   llvm.store %{{.*}}, %[[FIELD]]
//       CHECK:   %[[BODY:.*]] = constant @kernel__par0 : (!llvm.ptr, i64, i64) -> ()
//       CHECK:   call @attnc_parallel_for(%[[CTX]], %{{.*}}, %{{.*}}, %[[BODY]], %[[SLOT]])
//   CHECK-NOT:   scf.parallel
// CHECK-LABEL: func.func @kernel__par0(
//  CHECK-SAME: %{{.*}}: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64) attributes {llvm.linkage = #llvm.linkage<internal>}
//       CHECK:   %[[AT:.*]] = llvm.getelementptr inbounds %{{.*}}[0, 0]
//       CHECK:   llvm.load %[[AT]]
//       CHECK:   %[[B:.*]] = builtin.unrealized_conversion_cast {{.*}} to memref<?xf32>
//       CHECK:   arith.constant 2.000000e+00 : f32
//       CHECK:   memref.alloca() : memref<4xf32>
//       CHECK:   scf.for
//       CHECK:     memref.store {{.*}}, %[[B]]
func.func @kernel(%ctx: !llvm.ptr, %buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %scratch = memref.alloca() : memref<4xf32>
    memref.store %two, %scratch[%c0] : memref<4xf32>
    %x = memref.load %scratch[%c0] : memref<4xf32>
    memref.store %x, %buf[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// Without a runtime context the loop stays.
// CHECK-LABEL: func.func @not_a_kernel(
//       CHECK:   scf.parallel
func.func @not_a_kernel(%buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %two, %buf[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// attnc.max_threads = 3: the grain is ceil(count / 3) iterations, at least
// one, so that no more than three chunks (and threads) share the loop.
// CHECK-LABEL: func.func @at_most_three_threads(
//  CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %{{.*}}: memref<?xf32>, %[[N:.*]]: index
//       CHECK:   %[[COUNT:.*]] = arith.ceildivsi
//       CHECK:   %[[PER:.*]] = arith.ceildivsi %[[COUNT]], %c3
//       CHECK:   %[[ATLEAST:.*]] = arith.maxsi %[[PER]], %c1
//       CHECK:   %[[GRAIN:.*]] = arith.index_cast %[[ATLEAST]] : index to i64
//       CHECK:   %[[BODY:.*]] = constant @at_most_three_threads__par0
//       CHECK:   call @attnc_parallel_for(%[[CTX]], %{{.*}}, %[[GRAIN]], %[[BODY]], %{{.*}})
func.func @at_most_three_threads(%ctx: !llvm.ptr, %buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %two, %buf[%i] : memref<?xf32>
    scf.reduce
  } {attnc.max_threads = 3 : i64}
  return
}

// attnc.min_grain = 11: chunks of at least 11 iterations.
// CHECK-LABEL: func.func @chunks_of_eleven(
//  CHECK-SAME: %[[CTX:.*]]: !llvm.ptr
//       CHECK:   %[[GRAIN:.*]] = llvm.mlir.constant(11 : i64) : i64
//       CHECK:   call @attnc_parallel_for(%[[CTX]], %{{.*}}, %[[GRAIN]], %{{.*}}, %{{.*}})
func.func @chunks_of_eleven(%ctx: !llvm.ptr, %buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %two, %buf[%i] : memref<?xf32>
    scf.reduce
  } {attnc.min_grain = 11 : i64}
  return
}
