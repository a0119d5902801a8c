// RUN: attnc-opt %s --attnc-parallel-launch-to-llvm | FileCheck %s

// The launch becomes the runtime call with the chunk function's address.
// CHECK: llvm.func @attnc_parallel_for(!llvm.ptr, i64, i64, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: llvm.func @kernel
//  CHECK-SAME: (%[[CTX:.*]]: !llvm.ptr, %[[N:.*]]: i64, %[[CAP:.*]]: !llvm.ptr)
//       CHECK:   %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
//       CHECK:   %[[FN:.*]] = llvm.mlir.addressof @kernel__par0 : !llvm.ptr
//       CHECK:   llvm.call @attnc_parallel_for(%[[CTX]], %[[N]], %[[ONE]], %[[FN]], %[[CAP]])
//   CHECK-NOT:   attn.parallel_launch
llvm.func @kernel(%ctx: !llvm.ptr, %n: i64, %captures: !llvm.ptr) {
  %one = llvm.mlir.constant(1 : i64) : i64
  attn.parallel_launch @kernel__par0(%ctx, %n, %one, %captures) : !llvm.ptr, !llvm.ptr
  llvm.return
}
llvm.func internal @kernel__par0(%captures: !llvm.ptr, %begin: i64, %end: i64) {
  llvm.return
}
