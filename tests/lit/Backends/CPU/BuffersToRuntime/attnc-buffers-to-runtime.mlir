// RUN: attnc-opt %s --split-input-file --verify-diagnostics --attnc-buffers-to-runtime | FileCheck %s

// The sizes move to the start, one runtime call allocates both buffers, and
// the rest of the kernel runs under its success; the deallocs go. Each
// request is {element bytes, rank, first, last, extents...}, where [first,
// last] are the positions of the ops of the body that use the buffer (the
// deallocs do not count): t is used by ops 5 and 6, b only by op 7, so the
// runtime may give them the same memory.
// CHECK-NOT: @attnc_ctx_thread_index
// CHECK: func.func private @attnc_kernel_alloc_buffers(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, !llvm.ptr, !llvm.ptr) -> i32
// CHECK: llvm.mlir.global internal constant @kernel__buffers("'t' at a.attn:2:5\00f32\00the value at a.attn:3:7\00bool\00")
// CHECK-LABEL: func.func @kernel(
//  CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[DIMS:.*]]: memref<1xi64>, %[[X:.*]]: memref<?xf32>)
//       CHECK:   %[[D:.*]] = memref.load %[[DIMS]]
//       CHECK:   %[[N:.*]] = arith.index_cast %[[D]] : i64 to index
//  CHECK-NEXT:   llvm.mlir.constant(4 : i64)
//  CHECK-NEXT:   llvm.mlir.constant(2 : i64)
//  CHECK-NEXT:   llvm.mlir.constant(5 : i64)
//  CHECK-NEXT:   llvm.mlir.constant(6 : i64)
//  CHECK-NEXT:   arith.index_cast %[[N]] : index to i64
//  CHECK-NEXT:   llvm.mlir.constant(8 : i64)
//  CHECK-NEXT:   llvm.mlir.constant(1 : i64)
//  CHECK-NEXT:   llvm.mlir.constant(1 : i64)
//  CHECK-NEXT:   llvm.mlir.constant(7 : i64)
//  CHECK-NEXT:   llvm.mlir.constant(7 : i64)
//       CHECK:   %[[REQ:.*]] = llvm.alloca {{.*}} x i64
//       CHECK:   %[[PTRS:.*]] = llvm.alloca {{.*}} x !llvm.ptr
//       CHECK:   %[[NAMES:.*]] = llvm.mlir.addressof @kernel__buffers
//       CHECK:   %[[STATUS:.*]] = call @attnc_kernel_alloc_buffers(%[[CTX]], %[[NAMES]], %[[REQ]], %{{.*}}, %{{.*}}, %[[PTRS]], %{{.*}})
//       CHECK:   %[[OK:.*]] = arith.cmpi eq, %[[STATUS]], %{{.*}} : i32
//       CHECK:   scf.if %[[OK]] {
//       CHECK:     %[[RAW:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<?xi8>
//       CHECK:     %[[T:.*]] = memref.view %[[RAW]][%{{.*}}][%[[N]]] : memref<?xi8> to memref<?x8xf32>
//       CHECK:     memref.view {{.*}} : memref<?xi8> to memref<3xi1>
//       CHECK:     memref.store {{.*}}, %[[T]]
//   CHECK-NOT:     memref.dealloc
//       CHECK:   }
//  CHECK-NEXT:   return
func.func @kernel(%ctx: !llvm.ptr, %dims: memref<1xi64>, %x: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %f = arith.constant 1.0 : f32
  memref.store %f, %x[%c0] : memref<?xf32>
  %d = memref.load %dims[%c0] : memref<1xi64>
  %n = arith.index_cast %d : i64 to index
  %t = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8xf32> loc(fused["t"("a.attn":2:5)])
  memref.store %f, %t[%c0, %c0] : memref<?x8xf32>
  %b = memref.alloc() : memref<3xi1> loc("a.attn":3:7)
  memref.dealloc %t : memref<?x8xf32>
  memref.dealloc %b : memref<3xi1>
  return
}

// -----

// A buffer of a loop iteration (a heap buffer freed in the loop, or a stack
// buffer of run-time size) is a slice of this thread's copy of a per-thread
// scratch; its size is computed at the start from copies of its arithmetic.
// CHECK-LABEL: func.func @per_thread(
//  CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[DIMS:.*]]: memref<1xi64>, %{{.*}}: memref<?xf32>, %[[K:.*]]: index)
//       CHECK:   %[[K2:.*]] = arith.addi %[[K]], %[[K]] : index
//       CHECK:   arith.index_cast %[[K2]] : index to i64
//       CHECK:   llvm.alloca {{.*}} x !llvm.ptr
//       CHECK:   %[[STRIDE:.*]] = llvm.alloca {{.*}} x i64
//       CHECK:   call @attnc_kernel_alloc_buffers({{.*}}, %[[STRIDE]])
//       CHECK:   scf.if
//       CHECK:     %[[S:.*]] = llvm.load %[[STRIDE]] : !llvm.ptr -> i64
//       CHECK:     scf.parallel
//       CHECK:       %[[IDX:.*]] = func.call @attnc_ctx_thread_index(%[[CTX]]) : (!llvm.ptr) -> i32
//       CHECK:       %[[I:.*]] = arith.extui %[[IDX]] : i32 to i64
//       CHECK:       %[[SHIFT:.*]] = llvm.mul %[[I]], %[[S]] : i64
//       CHECK:       llvm.getelementptr %{{.*}}[%[[SHIFT]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
//       CHECK:       memref.view {{.*}} : memref<?xi8> to memref<4x?xf32>
//       CHECK:       memref.view {{.*}} : memref<?xi8> to memref<?xf32>
//   CHECK-NOT:   memref.alloc
//   CHECK-NOT:   memref.dealloc
func.func @per_thread(%ctx: !llvm.ptr, %dims: memref<1xi64>, %x: memref<?xf32>, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%k) step (%c1) {
    %k2 = arith.addi %k, %k : index
    %heap = memref.alloc(%k2) : memref<4x?xf32>
    %stack = memref.alloca(%k) : memref<?xf32>
    memref.store %f, %heap[%c0, %i] : memref<4x?xf32>
    memref.store %f, %stack[%i] : memref<?xf32>
    memref.dealloc %heap : memref<4x?xf32>
    scf.reduce
  }
  return
}

// -----

// A buffer of a known size that no 64-bit machine could hold is an error at
// compile time, at the value's location.
func.func @too_large(%ctx: !llvm.ptr, %dims: memref<1xi64>) {
  // expected-error @+1 {{this value would need a buffer of 'memref<4611686018427387904x4xf32>', whose size in bytes overflows 64 bits}}
  %t = memref.alloc() : memref<4611686018427387904x4xf32>
  return
}

// -----

// A size that depends on a loop's iteration cannot be allocated up front.
func.func @iteration_size(%ctx: !llvm.ptr, %dims: memref<1xi64>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{internal error: the size of this buffer is not computed from the kernel's arguments alone}}
    %t = memref.alloca(%i) : memref<?xf32>
  }
  return
}

// -----

// A heap buffer that outlives the iteration allocating it cannot be reused
// by the next one.
func.func @escapes(%ctx: !llvm.ptr, %dims: memref<1xi64>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{internal error: a heap buffer outlives the loop iteration that allocates it}}
    %t = memref.alloc() : memref<4xf32>
  }
  return
}

// -----

// A stack buffer of a known size stays on the stack up to 64 KiB; a larger
// one (a tile of a large schedule) takes a per-thread slice instead.
// CHECK-LABEL: func.func @stack_sizes(
//       CHECK:   call @attnc_kernel_alloc_buffers
//       CHECK:   scf.parallel
//       CHECK:     memref.alloca() : memref<128x128xf32>
//       CHECK:     func.call @attnc_ctx_thread_index
//       CHECK:     memref.view {{.*}} : memref<?xi8> to memref<128x129xf32>
func.func @stack_sizes(%ctx: !llvm.ptr, %dims: memref<1xi64>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %small = memref.alloca() : memref<128x128xf32>
    %large = memref.alloca() : memref<128x129xf32>
    memref.store %f, %small[%c0, %c0] : memref<128x128xf32>
    memref.store %f, %large[%c0, %c0] : memref<128x129xf32>
    scf.reduce
  }
  return
}

// -----

// A kernel without buffers still asks, for none, and runs under the answer:
// that call is where NAME_workspace_bytes stops a kernel.
// CHECK-LABEL: func.func @no_buffers(
//       CHECK:   %[[STATUS:.*]] = call @attnc_kernel_alloc_buffers
//       CHECK:   %[[OK:.*]] = arith.cmpi eq, %[[STATUS]]
//       CHECK:   scf.if %[[OK]] {
//       CHECK:     memref.store
func.func @no_buffers(%ctx: !llvm.ptr, %dims: memref<1xi64>, %x: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %f = arith.constant 1.0 : f32
  memref.store %f, %x[%c0] : memref<?xf32>
  return
}
