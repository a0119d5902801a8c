// RUN: attnc-opt %s --split-input-file --attnc-cpu-lower-contractions --canonicalize | FileCheck %s
// RUN: attnc-opt %s --split-input-file --attnc-cpu-lower-contractions="vector-width=8 vector-registers=16" --canonicalize | FileCheck %s --check-prefix=AVX2

// A product of symbolic shapes: tasks over (row block, column block) in an
// scf.parallel; per block of the depth, B's rows packed into panels of 3
// vectors (masked loads past N), then 8 x 3 accumulators over the depth in
// vector FMAs of a broadcast element of A, stored masked past N. The rest
// of the rows take tiles of 4, 2 and 1. A task of at most 8 rows reads B's
// rows in place instead (masked loads in the depth loop), without packing.
// Rows and columns are shared out evenly among tasks in whole tiles (of 8
// rows, of 48 columns); a product of at most 8 rows and under 2^21
// multiply-adds is one task, on the calling thread. No attn op is left.
// CHECK-LABEL: func @plain
//       CHECK:   %[[B:.*]] = bufferization.to_memref %arg1
//       CHECK:   %[[OUT:.*]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?xf32>
//       CHECK:   %[[ROWS:.*]] = arith.muli %{{.*}}, %c8
//       CHECK:   %[[COLUMNS:.*]] = arith.muli %{{.*}}, %c48
//       CHECK:   %[[LITTLE:.*]] = arith.cmpi slt, %{{.*}}, %c2097152
//       CHECK:   %[[FEW:.*]] = arith.cmpi sle, %{{.*}}, %c8
//       CHECK:   %[[SERIAL:.*]] = arith.andi %[[FEW]], %[[LITTLE]]
//       CHECK:   %[[TASKCOLUMNS:.*]] = arith.select %[[SERIAL]], %{{.*}}, %[[COLUMNS]]
//       CHECK:   arith.ceildivsi %{{.*}}, %[[ROWS]]
//       CHECK:   arith.ceildivsi %{{.*}}, %[[TASKCOLUMNS]]
//       CHECK:   scf.parallel
//       CHECK:     %[[PANELS:.*]] = memref.alloca() {alignment = 64 : i64} : memref<4x128x48xf32>
//       CHECK:     %[[FEW:.*]] = arith.cmpi sle, %{{.*}}, %c8
//       CHECK:     scf.if %[[FEW]] {
//       CHECK:       scf.for {{.*}} -> (vector<16xf32>,
//       CHECK:         vector.maskedload %[[B]]
//       CHECK:         vector.fma
//       CHECK:     } else {
//       CHECK:     scf.for
//       CHECK:       vector.maskedload %{{.*}} : memref<?x?xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
//       CHECK:       vector.store %{{.*}}, %[[PANELS]]
//       CHECK:       scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>,
//       CHECK:         vector.load %[[PANELS]]
//       CHECK:         tensor.extract %arg0
//       CHECK:         vector.broadcast
//  CHECK-COUNT-3:      vector.fma
//       CHECK:       vector.maskedstore %[[OUT]]
//       CHECK:   bufferization.to_tensor %[[OUT]] restrict writable
//   CHECK-NOT:   attn.
// AVX2-LABEL: func @plain
//       AVX2:   memref.alloca() {alignment = 64 : i64} : memref<12x128x16xf32>
//       AVX2:   scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
func.func @plain(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c = attn.matmul %a, %b : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  return %c : tensor<?x?xf32>
}

// -----

// x @ w.T reads w in place: the panels are filled element by element from
// w's rows (zeroed first when the panel is partly past N); the transpose is
// gone.
// CHECK-LABEL: func @transposed_rhs
//   CHECK-NOT:   attn.transpose
//       CHECK:   scf.parallel
//       CHECK:     scf.if
//       CHECK:       vector.store %{{.*}}, %{{.*}} : memref<4x128x48xf32>, vector<16xf32>
//       CHECK:     tensor.extract %arg1[{{.*}}] : tensor<384x?xf32>
//       CHECK:     memref.store %{{.*}} : memref<4x128x48xf32>
func.func @transposed_rhs(%x: tensor<?x?xf32>, %w: tensor<384x?xf32>) -> tensor<?x384xf32> {
  %wt = attn.transpose %w [1, 0] : tensor<384x?xf32> -> tensor<?x384xf32>
  %c = attn.matmul %x, %wt : tensor<?x?xf32>, tensor<?x384xf32> -> tensor<?x384xf32>
  return %c : tensor<?x384xf32>
}

// -----

// x [B, S, E] @ W [E, F]: W has no batch axes, so B and S fold into the
// rows: one row index is split into (b, s) per tile row, and tasks are
// (row block, column block) only. The bias add and GELU run on the
// accumulators of the last depth block (bias by masked loads along the
// columns, erf on vectors) before the store; the attn ops are gone. With
// a depth of one block, the tests of the first and last block fold away.
// CHECK-LABEL: func @folded_rows_with_epilogue
//       CHECK:   scf.parallel
//       CHECK:     arith.remui
//       CHECK:     arith.divui
//       CHECK:     vector.fma
//   CHECK-NOT:     scf.if
//       CHECK:       vector.maskedload %{{.*}} : memref<512xf32>
//       CHECK:       math.erf %{{.*}} : vector<16xf32>
//       CHECK:     vector.maskedstore
//   CHECK-NOT:   attn.
func.func @folded_rows_with_epilogue(%x: tensor<?x?x128xf32>, %w: tensor<128x512xf32>,
                                     %bias: tensor<512xf32>) -> tensor<?x?x512xf32> {
  %p = attn.matmul %x, %w : tensor<?x?x128xf32>, tensor<128x512xf32> -> tensor<?x?x512xf32>
  %y = attn.add %p, %bias : tensor<?x?x512xf32>, tensor<512xf32> -> tensor<?x?x512xf32>
  %g = attn.gelu %y : tensor<?x?x512xf32> -> tensor<?x?x512xf32>
  return %g : tensor<?x?x512xf32>
}

// -----

// Heads on both sides (q @ k.T per head): the operands are read through the
// head split, column h * D + d of the [B, S, H * D] tensors, with no copy.
// The batch axes (b, h) index tasks, since B varies along them; the
// extents come from the [B, S, H * D] tensors, so the head splits are gone.
// CHECK-LABEL: func @through_heads
//   CHECK-NOT:   attn.heads
//       CHECK:   memref.alloc({{.*}}) {{.*}} : memref<?x4x?x?xf32>
//       CHECK:   scf.parallel
//       CHECK:     arith.muli
//       CHECK:     tensor.extract %arg0
func.func @through_heads(%q: tensor<?x?x128xf32>, %k: tensor<?x?x128xf32>) -> tensor<?x4x?x?xf32> {
  %c4 = arith.constant 4 : index
  %qh = attn.heads %q, %c4 : tensor<?x?x128xf32>, index -> tensor<?x4x?x32xf32>
  %kh = attn.heads %k, %c4 : tensor<?x?x128xf32>, index -> tensor<?x4x?x32xf32>
  %kt = attn.transpose %kh [0, 1, 3, 2] : tensor<?x4x?x32xf32> -> tensor<?x4x32x?xf32>
  %s = attn.matmul %qh, %kt : tensor<?x4x?x32xf32>, tensor<?x4x32x?xf32> -> tensor<?x4x?x?xf32>
  return %s : tensor<?x4x?x?xf32>
}

// -----

// w @ unheads(o) packs o [B, H, S, D] in place: column c of row s is
// o[b, c / D, s, c % D]. As the left operand, read once per step of the
// depth, the merge stays (a copy costs less than c / D and c % D per step).
// CHECK-LABEL: func @through_unheads
//   CHECK-NOT:   attn.unheads
//       CHECK:   scf.parallel
//       CHECK:     arith.divui %{{.*}}, %c32
//       CHECK:     arith.remui %{{.*}}, %c32
//       CHECK:     tensor.extract %arg1
// CHECK-LABEL: func @unheads_on_the_left
//       CHECK:   attn.unheads
//       CHECK:   scf.parallel
func.func @through_unheads(%w: tensor<?x?xf32>, %o: tensor<1x4x?x32xf32>) -> tensor<1x?x128xf32> {
  %u = attn.unheads %o : tensor<1x4x?x32xf32> -> tensor<1x?x128xf32>
  %y = attn.matmul %w, %u : tensor<?x?xf32>, tensor<1x?x128xf32> -> tensor<1x?x128xf32>
  return %y : tensor<1x?x128xf32>
}
func.func @unheads_on_the_left(%o: tensor<?x4x?x32xf32>, %w: tensor<128x128xf32>) -> tensor<?x?x128xf32> {
  %u = attn.unheads %o : tensor<?x4x?x32xf32> -> tensor<?x?x128xf32>
  %y = attn.matmul %u, %w : tensor<?x?x128xf32>, tensor<128x128xf32> -> tensor<?x?x128xf32>
  return %y : tensor<?x?x128xf32>
}

// -----

// A result that only goes to a model output is written there, with the
// residual add; a matrix-vector product (no column axis) stores lane 0.
// CHECK-LABEL: func @into_output
//   CHECK-NOT:   memref.alloc(
//       CHECK:   vector.maskedstore %arg3
// CHECK-LABEL: func @matrix_vector
//       CHECK:   vector.extract %{{.*}}[0] : f32 from vector<16xf32>
//       CHECK:   memref.store
func.func @into_output(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>, %r: tensor<?x64xf32>,
                       %out: memref<?x64xf32>) {
  %p = attn.matmul %x, %w : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %y = attn.add %r, %p : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  bufferization.materialize_in_destination %y in restrict writable %out
      : (tensor<?x64xf32>, memref<?x64xf32>) -> ()
  return
}
func.func @matrix_vector(%a: tensor<?x?xf32>, %v: tensor<?xf32>) -> tensor<?xf32> {
  %c = attn.matmul %a, %v : tensor<?x?xf32>, tensor<?xf32> -> tensor<?xf32>
  return %c : tensor<?xf32>
}

// -----

// A comprehension that is a contraction, s[b, i, j] = sum(d: k[b, j, d] *
// q[b, i, d]), becomes q @ k.T (the operands swapped into place, k read
// through the transpose), then the GEMM.
// CHECK-LABEL: func @comprehension
//   CHECK-NOT:   attn.comprehension
//       CHECK:   scf.parallel
//       CHECK:     vector.fma
func.func @comprehension(%q: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>, %B: index, %S: index,
                         %T: index) -> tensor<?x?x?xf32> {
  %c16 = arith.constant 16 : index
  %s = attn.comprehension [%B, %S, %T] : tensor<?x?x?xf32> {
  ^bb0(%b: index, %i: index, %j: index):
    %r = attn.index_reduce sum[%c16] : f32 {
    ^bb0(%d: index):
      %x = attn.read %k[%b, %j, %d] : tensor<?x?x16xf32>
      %y = attn.read %q[%b, %i, %d] : tensor<?x?x16xf32>
      %p = attn.mul %x, %y : f32, f32 -> f32
      attn.yield %p : f32
    }
    attn.yield %r : f32
  }
  return %s : tensor<?x?x?xf32>
}

// -----

// Not a contraction: k indexes only one operand, so the comprehension stays.
// CHECK-LABEL: func @not_a_contraction
//       CHECK:   attn.comprehension
func.func @not_a_contraction(%a: tensor<?x?xf32>, %v: tensor<?xf32>, %M: index, %N: index,
                             %K: index) -> tensor<?x?xf32> {
  %s = attn.comprehension [%M, %N] : tensor<?x?xf32> {
  ^bb0(%i: index, %j: index):
    %r = attn.index_reduce sum[%K] : f32 {
    ^bb0(%k: index):
      %x = attn.read %a[%i, %k] : tensor<?x?xf32>
      %y = attn.read %v[%j] : tensor<?xf32>
      %p = attn.mul %x, %y : f32, f32 -> f32
      attn.yield %p : f32
    }
    attn.yield %r : f32
  }
  return %s : tensor<?x?xf32>
}

// -----

// heads(x @ w + b): the tiles are stored in the heads' layout, column n of
// row s at [n / 32, s, n % 32], since a vector of 16 columns stays in one
// head; with heads of 20 columns, which vectors would straddle, the head
// split stays a copy.
// CHECK-LABEL: func @into_heads
//   CHECK-NOT:   attn.heads
//       CHECK:   %[[OUT:.*]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x4x?x32xf32>
//       CHECK:   scf.parallel
//       CHECK:     arith.divui %{{.*}}, %c32
//       CHECK:     arith.remui %{{.*}}, %c32
//       CHECK:     vector.maskedstore %[[OUT]]
//       CHECK:   bufferization.to_tensor %[[OUT]] restrict writable : memref<?x4x?x32xf32>
// CHECK-LABEL: func @heads_across_vectors
//       CHECK:   attn.heads
func.func @into_heads(%x: tensor<?x?x64xf32>, %w: tensor<64x128xf32>, %b: tensor<128xf32>)
    -> tensor<?x4x?x32xf32> {
  %c4 = arith.constant 4 : index
  %p = attn.matmul %x, %w : tensor<?x?x64xf32>, tensor<64x128xf32> -> tensor<?x?x128xf32>
  %y = attn.add %p, %b : tensor<?x?x128xf32>, tensor<128xf32> -> tensor<?x?x128xf32>
  %h = attn.heads %y, %c4 : tensor<?x?x128xf32>, index -> tensor<?x4x?x32xf32>
  return %h : tensor<?x4x?x32xf32>
}
func.func @heads_across_vectors(%x: tensor<?x?x64xf32>, %w: tensor<64x80xf32>)
    -> tensor<?x4x?x20xf32> {
  %c4 = arith.constant 4 : index
  %p = attn.matmul %x, %w : tensor<?x?x64xf32>, tensor<64x80xf32> -> tensor<?x?x80xf32>
  %h = attn.heads %p, %c4 : tensor<?x?x80xf32>, index -> tensor<?x4x?x20xf32>
  return %h : tensor<?x4x?x20xf32>
}

// -----

// Element-wise ops before the product whose values have no other use are
// its prologue: A's (scale, ReLU) are computed as a task's rows of A are
// packed, once per block of the depth, vector by vector (lanes past the
// depth set to 0 again); B's (a gain along its columns) as B's rows are
// read into the panels. The ops are gone.
// CHECK-LABEL: func @prologue
//   CHECK-NOT:   attn.
//       CHECK:   scf.parallel
//       CHECK:     memref.alloca() {alignment = 64 : i64} : memref<4x128x48xf32>
//       CHECK:     %[[AP:.*]] = memref.alloca() {alignment = 64 : i64} : memref<128x128xf32>
//       CHECK:       vector.maskedload %{{.*}} : memref<?x?xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
//       CHECK:       arith.mulf
//       CHECK:       arith.maximumf
//       CHECK:       arith.select
//       CHECK:       vector.store %{{.*}}, %[[AP]]
//       CHECK:       memref.load %[[AP]]
//       CHECK:       vector.fma
//       CHECK:     } else {
//       CHECK:       vector.maskedload %{{.*}} : memref<?xf32>
//       CHECK:       arith.mulf %{{.*}} : vector<16xf32>
//       CHECK:       vector.store %{{.*}} : memref<4x128x48xf32>, vector<16xf32>
//   CHECK-NOT:   attn.
func.func @prologue(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %g: tensor<?xf32>) -> tensor<?x?xf32> {
  %half = arith.constant 5.000000e-01 : f32
  %s = attn.mul %a, %half : tensor<?x?xf32>, f32 -> tensor<?x?xf32>
  %r = attn.relu %s : tensor<?x?xf32> -> tensor<?x?xf32>
  %bg = attn.mul %b, %g : tensor<?x?xf32>, tensor<?xf32> -> tensor<?x?xf32>
  %c = attn.matmul %r, %bg : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  return %c : tensor<?x?xf32>
}

// -----

// A producer whose value is used elsewhere too is computed once, there: the
// product reads its result, and A is not packed.
// CHECK-LABEL: func @shared_producer
//       CHECK:   %[[R:.*]] = attn.relu
//   CHECK-NOT:   memref<128x128xf32>
//       CHECK:   tensor.extract %[[R]]
//   CHECK-NOT:   memref<128x128xf32>
//       CHECK:   return
func.func @shared_producer(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %r = attn.relu %a : tensor<?x?xf32> -> tensor<?x?xf32>
  %c = attn.matmul %r, %b : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  return %c, %r : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// A product converted to bf16 is stored in bf16: the sums of the depth
// blocks before the last go to the task's f32 buffer, and the last block's
// are rounded to nearest even in integer arithmetic and stored a vector at
// a time, or lane by lane at the end of a row. The conversion is gone.
// CHECK-LABEL: func @narrow_output
//   CHECK-NOT:   attn.
//       CHECK:   %[[OUT:.*]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?xbf16>
//       CHECK:   %[[PARTIAL:.*]] = memref.alloca() {alignment = 64 : i64} : memref<128x192xf32>
//       CHECK:     vector.load %[[PARTIAL]]
//       CHECK:     arith.bitcast %{{.*}} : vector<16xf32> to vector<16xi32>
//       CHECK:     arith.trunci %{{.*}} : vector<16xi32> to vector<16xi16>
//       CHECK:     arith.bitcast %{{.*}} : vector<16xi16> to vector<16xbf16>
//       CHECK:     vector.store %{{.*}}, %[[OUT]]
//       CHECK:     vector.extract %{{.*}}[%{{.*}}] : f32 from vector<16xf32>
//       CHECK:     memref.store %{{.*}}, %[[OUT]]
//       CHECK:     vector.store %{{.*}}, %[[PARTIAL]]
//       CHECK:   bufferization.to_tensor %[[OUT]] restrict writable : memref<?x?xbf16>
//   CHECK-NOT:   attn.
func.func @narrow_output(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xbf16> {
  %c = attn.matmul %a, %b : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  %n = attn.convert %c : tensor<?x?xf32> -> tensor<?x?xbf16>
  return %n : tensor<?x?xbf16>
}
