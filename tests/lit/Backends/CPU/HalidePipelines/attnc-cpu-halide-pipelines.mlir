// RUN: rm -rf %t && mkdir -p %t
// RUN: attnc-opt %s --split-input-file --attnc-cpu-halide-pipelines="halide-target=x86-64-linux-avx-avx2-fma-no_runtime-user_context-large_buffers-strict_float vector-width=8 object-dir=%t" | FileCheck %s
// RUN: llvm-nm %t/kernel__halide0.o | FileCheck %s --check-prefix=SYMBOLS

// An element-wise generic (a broadcast input, a constant from outside the
// body) becomes a call of the runtime with its pipeline's argv entry, the
// operands' descriptors in a stack struct and their layout {count, flags,
// then rank, type code 2 (float), 32 bits per operand}. The object is listed on
// the module and holds the pipeline.
//       CHECK: module attributes {attnc.halide_objects = ["{{.*}}kernel__halide0.o"]}
//       CHECK: func.func private @attnc_kernel_call_halide(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: func.func @kernel(
//  CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %{{.*}}: memref<2xi64>, %[[X:.*]]: memref<?x?xf32>, %[[B:.*]]: memref<?xf32>, %[[Y:.*]]: memref<?x?xf32>
//       CHECK:   %[[OPERANDS:.*]] = llvm.alloca {{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)>
//       CHECK:   %[[LAYOUT:.*]] = llvm.alloca {{.*}} x !llvm.struct<(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)>
//       CHECK:   %[[ARGV:.*]] = llvm.mlir.addressof @kernel__halide0_argv : !llvm.ptr
//       CHECK:   call @attnc_kernel_call_halide(%[[CTX]], %[[ARGV]], %[[LAYOUT]], %[[OPERANDS]])
//   CHECK-NOT:   linalg.generic
//       CHECK:   return
//       CHECK: llvm.func @kernel__halide0_argv(!llvm.ptr) -> i32

// SYMBOLS-DAG: T kernel__halide0{{$}}
// SYMBOLS-DAG: T kernel__halide0_argv
// SYMBOLS-DAG: U halide_do_par_for
#map = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @kernel(%ctx: !llvm.ptr, %dims: memref<2xi64>, %x: memref<?x?xf32>, %b: memref<?xf32>,
                  %y: memref<?x?xf32>) {
  %two = arith.constant 2.0 : f32
  linalg.generic {indexing_maps = [#map, #row, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<?x?xf32>, memref<?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.mulf %in, %two : f32
    %t = arith.addf %s, %bias : f32
    %e = math.exp %t : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A run of generics is one pipeline: the buffer only the run uses is not
// allocated any more, the one used after it is an output. A generic that
// would overwrite a buffer the run read first starts a new run, as does an
// op that touches memory. The size of the allocations the run writes
// travels as a scalar (an i64 word between the buffers).
// CHECK-LABEL: func.func @regions(
//  CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %{{.*}}: memref<1xi64>, %[[X:.*]]: memref<?xf32>, %[[Y:.*]]: memref<?xf32>, %[[N:.*]]: index
//   CHECK-NOT:   memref.alloc(%{{.*}}) : memref<?xf32>
//       CHECK:   %[[KEPT:.*]] = memref.alloc(%{{.*}}) {kept} : memref<?xf32>
//       CHECK:   arith.index_cast %[[N]] : index to i64
//       CHECK:   llvm.alloca {{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, i64, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)>
//       CHECK:   builtin.unrealized_conversion_cast %[[X]]
//       CHECK:   builtin.unrealized_conversion_cast %[[KEPT]]
//       CHECK:   llvm.mlir.addressof @regions__halide0_argv
//       CHECK:   call @attnc_kernel_call_halide
//       CHECK:   memref.store
//       CHECK:   llvm.mlir.addressof @regions__halide1_argv
//       CHECK:   call @attnc_kernel_call_halide
//       CHECK:   llvm.mlir.addressof @regions__halide2_argv
//       CHECK:   call @attnc_kernel_call_halide
//   CHECK-NOT:   linalg.generic
//       CHECK:   return
#id1 = affine_map<(d0) -> (d0)>
func.func @regions(%ctx: !llvm.ptr, %dims: memref<1xi64>, %x: memref<?xf32>, %y: memref<?xf32>,
                   %n: index) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %t = memref.alloc(%n) {temporary} : memref<?xf32>
  %kept = memref.alloc(%n) {kept} : memref<?xf32>
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%t : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%t : memref<?xf32>) outs(%kept : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %one : f32
    linalg.yield %a : f32
  }
  memref.store %one, %kept[%c0] : memref<?xf32>
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%kept : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%y : memref<?xf32>) outs(%kept : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.negf %in : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A fill, the reduction that starts from it (along a middle axis, its
// extent from the region's input) and what uses the result: one pipeline.
// CHECK-LABEL: func.func @reduction(
//   CHECK-NOT:   linalg.fill
//   CHECK-NOT:   linalg.generic
//       CHECK:   llvm.mlir.addressof @reduction__halide0_argv
//       CHECK:   call @attnc_kernel_call_halide
//   CHECK-NOT:   llvm.mlir.addressof @reduction__halide1_argv
//       CHECK:   return
#in3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out3 = affine_map<(d0, d1, d2) -> (d0, d2)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @reduction(%ctx: !llvm.ptr, %dims: memref<1xi64>, %x: memref<?x?x?xf32>,
                     %y: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  %three = arith.constant 3.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x?xf32>)
  linalg.generic {indexing_maps = [#in3, #out3],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : memref<?x?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %a = arith.addf %acc, %in : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.divf %in, %three : f32
    linalg.yield %d : f32
  }
  return
}

// -----

// What Halide does not take stays: a reduction to a scalar, a load from a
// buffer that is not f32, a loop whose bounds depend on the indices, a loop
// nest inside another loop.
// CHECK-LABEL: func.func @stays(
//   CHECK-NOT:   attnc_kernel_call_halide
//       CHECK:   linalg.generic
//  CHECK-SAME:     "reduction"
//       CHECK:   linalg.generic
//       CHECK:     memref.load %{{.*}} : memref<?xi32>
//       CHECK:   linalg.generic
//       CHECK:     scf.for %{{.*}} = %{{.*}} to %{{.*}} step
//       CHECK:   scf.for
//       CHECK:     linalg.generic
#id = affine_map<(d0) -> (d0)>
#all = affine_map<(d0) -> ()>
func.func @stays(%ctx: !llvm.ptr, %dims: memref<1xi64>, %x: memref<?xf32>, %y: memref<?xf32>,
                 %r: memref<f32>, %ids: memref<?xi32>, %n: index) {
  linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction"]}
      ins(%x : memref<?xf32>) outs(%r : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %a = arith.addf %in, %acc : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%y : memref<?xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %v = memref.load %ids[%i] : memref<?xi32>
    %f = arith.sitofp %v : i32 to f32
    linalg.yield %f : f32
  }
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%y : memref<?xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %s = scf.for %k = %c0 to %i step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%k] : memref<?xf32>
      %a = arith.addf %acc, %v : f32
      scf.yield %a : f32
    }
    linalg.yield %s : f32
  }
  scf.for %i = %c0 to %n step %c1 {
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %e = math.exp %in : f32
      linalg.yield %e : f32
    }
  }
  return
}

// -----

// Comprehensions: a body that reads its indices, computes with them, loads
// at the indices it computes (a zero-padded shifted read under scf.if), sums
// with a nest of scf.for and uses numbers from before it. They are one
// pipeline; the numbers travel as scalars ({-1, 0: int, 64 bits} for an
// index, {-1, 2: float, 32 bits} for the f32, its bits in the word's low
// half), and the layout's flags say the pipeline computes indices in 32 bits.
// CHECK-LABEL: func.func @comprehensions(
//  CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %{{.*}}: memref<1xi64>, %[[X:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?x?xf32>, %[[S:.*]]: f32, %[[N:.*]]: index
//   CHECK-NOT:   linalg.generic
//       CHECK:   %[[COLS:.*]] = memref.dim %[[X]]
//   CHECK-DAG:   arith.index_cast %[[COLS]] : index to i64
//   CHECK-DAG:   arith.index_cast %[[N]] : index to i64
//   CHECK-DAG:   %[[BITS:.*]] = arith.bitcast %[[S]] : f32 to i32
//   CHECK-DAG:   arith.extui %[[BITS]] : i32 to i64
//       CHECK:   llvm.alloca {{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, i64, i64, i64, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)>
//       CHECK:   %[[FLAGS:.*]] = llvm.mlir.constant(1 : i64) : i64
//       CHECK:   call @attnc_kernel_call_halide
//   CHECK-NOT:   linalg.generic
//       CHECK:   return
#id2c = affine_map<(d0, d1) -> (d0, d1)>
func.func @comprehensions(%ctx: !llvm.ptr, %dims: memref<1xi64>, %x: memref<?x?xf32>,
                          %y: memref<?x?xf32>, %s: f32, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %cols = memref.dim %x, %c1 : memref<?x?xf32>
  linalg.generic {indexing_maps = [#id2c], iterator_types = ["parallel", "parallel"]}
      outs(%y : memref<?x?xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    // y[i, j] = s * sum(k < 3: x[i, j + k - 1] (0 outside)) + n
    %sum = scf.for %k = %c0 to %c3 step %c1 iter_args(%acc = %zero) -> (f32) {
      %jk = arith.addi %j, %k : index
      %col = arith.subi %jk, %c1 : index
      %inside = arith.cmpi ult, %col, %cols : index
      %v = scf.if %inside -> (f32) {
        %l = memref.load %x[%i, %col] : memref<?x?xf32>
        scf.yield %l : f32
      } else {
        scf.yield %zero : f32
      }
      %a = arith.addf %acc, %v : f32
      scf.yield %a : f32
    }
    %scaled = arith.mulf %sum, %s : f32
    %ni = arith.index_cast %n : index to i64
    %nf = arith.sitofp %ni : i64 to f32
    %r = arith.addf %scaled, %nf : f32
    linalg.yield %r : f32
  }
  return
}
