// RUN: attnc-opt %s --attnc-cpu-wrap-kernels | FileCheck %s

// A model's function gets the runtime context as its first argument, and
// loses the mark; its body is unchanged.
// CHECK-LABEL: func.func @model(
//  CHECK-SAME: %{{.*}}: !llvm.ptr {attn.name = "ctx"}, %[[DIMS:.*]]: memref<1xi64> {attn.name = "dims"}, %{{.*}}: memref<?xf32> {attn.name = "y"}) {
//       CHECK:   memref.load %[[DIMS]]
func.func @model(%dims: memref<1xi64> {attn.name = "dims"}, %y: memref<?xf32> {attn.name = "y"})
    attributes {attn.model} {
  %c0 = arith.constant 0 : index
  %n = memref.load %dims[%c0] : memref<1xi64>
  %f = arith.sitofp %n : i64 to f32
  memref.store %f, %y[%c0] : memref<?xf32>
  return
}

// Any other function is left alone.
// CHECK-LABEL: func.func @helper(
//  CHECK-SAME: %{{.*}}: memref<1xi64>) {
func.func @helper(%dims: memref<1xi64>) {
  return
}
