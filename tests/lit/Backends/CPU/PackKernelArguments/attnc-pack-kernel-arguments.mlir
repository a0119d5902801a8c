// RUN: attnc-opt %s --attnc-pack-kernel-arguments | FileCheck %s

// A kernel takes the runtime's array: entry 0 is the context itself, entry i
// points at the descriptor of argument i. Only the arguments in use are
// loaded (here not %unused, entry 2). The loads
// are marked as reads of memory nothing writes while the kernel runs.
// CHECK-LABEL: func.func @kernel(
//  CHECK-SAME: %[[ARGS:.*]]: !llvm.ptr) {
//       CHECK:   %[[S0:.*]] = llvm.getelementptr %[[ARGS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
//       CHECK:   %[[CTX:.*]] = llvm.load %[[S0]] {attnc.repeatable_read} : !llvm.ptr -> !llvm.ptr
//       CHECK:   %[[S1:.*]] = llvm.getelementptr %[[ARGS]][1]
//       CHECK:   %[[P1:.*]] = llvm.load %[[S1]] {attnc.repeatable_read} : !llvm.ptr -> !llvm.ptr
//       CHECK:   %[[D1:.*]] = llvm.load %[[P1]] {attnc.repeatable_read} : !llvm.ptr -> !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
//       CHECK:   %[[DIMS:.*]] = builtin.unrealized_conversion_cast %[[D1]] : {{.*}} to memref<1xi64>
//       CHECK:   %[[S3:.*]] = llvm.getelementptr %[[ARGS]][3]
//       CHECK:   %[[P3:.*]] = llvm.load %[[S3]] {attnc.repeatable_read} : !llvm.ptr -> !llvm.ptr
//       CHECK:   %[[D3:.*]] = llvm.load %[[P3]] {attnc.repeatable_read} : !llvm.ptr -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
//       CHECK:   %[[OUT:.*]] = builtin.unrealized_conversion_cast %[[D3]] : {{.*}} to memref<?x4xf32>
//   CHECK-NOT:   llvm.getelementptr %[[ARGS]]
//       CHECK:   call @use_ctx(%[[CTX]])
//       CHECK:   memref.load %[[DIMS]]
//       CHECK:   memref.store {{.*}}, %[[OUT]]
func.func private @use_ctx(!llvm.ptr)
func.func @kernel(%ctx: !llvm.ptr {attn.name = "ctx"}, %dims: memref<1xi64> {attn.name = "dims"},
                  %unused: memref<?xf32> {attn.name = "x"}, %out: memref<?x4xf32> {attn.name = "y"}) {
  call @use_ctx(%ctx) : (!llvm.ptr) -> ()
  %c0 = arith.constant 0 : index
  %n = memref.load %dims[%c0] : memref<1xi64>
  %f = arith.sitofp %n : i64 to f32
  memref.store %f, %out[%c0, %c0] : memref<?x4xf32>
  return
}

// A function that does not take (!llvm.ptr, memref, ...), such as a parallel
// loop's chunk, is not a kernel: it keeps its arguments.
// CHECK-LABEL: func.func @chunk(
//  CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: i64)
//   CHECK-NOT:   llvm.getelementptr
func.func @chunk(%captures: !llvm.ptr, %begin: i64) {
  return
}
