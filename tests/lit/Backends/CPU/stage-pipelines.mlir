// RUN: attnc-opt %s --attnc-fuse --attnc-cpu-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: attnc-opt %s --attnc-fuse --attnc-cpu-to-linalg --attnc-cpu-to-llvm | FileCheck %s --check-prefix=LLVM

// The CPU backend's stages as attnc-opt pipelines, from a model function as
// the front end makes it: the fused attention becomes the CPU's loop nest
// (tasks in an scf.parallel) and the rest linalg; then the kernel gets the
// runtime context, its loop runs through attnc_parallel_for, and everything
// is in the LLVM dialect.
// LINALG-LABEL: func.func @m__kernel(
//  LINALG-SAME:   %{{.*}}: memref<1xi64> {attn.name = "dims"}
//       LINALG:   scf.parallel
//   LINALG-NOT:   attn.
//
//       LLVM: llvm.func @attnc_parallel_for(!llvm.ptr, i64, i64, !llvm.ptr, !llvm.ptr)
//       LLVM: llvm.func @m__kernel(%{{.*}}: !llvm.ptr)
//       LLVM:   llvm.mlir.addressof @m__kernel__par0
//       LLVM:   llvm.call @attnc_parallel_for(
//   LLVM-NOT: attn.
func.func @m__kernel(%dims: memref<1xi64> {attn.name = "dims"},
                     %q: memref<?x16xf32> {attn.name = "q"}, %k: memref<?x16xf32> {attn.name = "k"},
                     %v: memref<?x16xf32> {attn.name = "v"}, %o: memref<?x16xf32> {attn.name = "o"})
    attributes {attn.model} {
  %c0 = arith.constant 0 : index
  %raw = memref.load %dims[%c0] : memref<1xi64>
  %s = arith.index_cast %raw : i64 to index
  %qt = bufferization.to_tensor %q restrict : memref<?x16xf32>
  %kt = bufferization.to_tensor %k restrict : memref<?x16xf32>
  %vt = bufferization.to_tensor %v restrict : memref<?x16xf32>
  %ktt = attn.transpose %kt [1, 0] : tensor<?x16xf32> -> tensor<16x?xf32>
  %scores = attn.matmul %qt, %ktt : tensor<?x16xf32>, tensor<16x?xf32> -> tensor<?x?xf32>
  %w = attn.softmax %scores axis = 1 : tensor<?x?xf32> -> tensor<?x?xf32>
  %out = attn.matmul %w, %vt : tensor<?x?xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  bufferization.materialize_in_destination %out in restrict writable %o : (tensor<?x16xf32>, memref<?x16xf32>) -> ()
  return
}
