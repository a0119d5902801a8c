// RUN: attnc-opt %s --attnc-cpu-lower-attention --attnc-convert-attn-to-linalg --canonicalize | FileCheck %s
// RUN: attnc-opt %s --attnc-cpu-lower-attention --attnc-convert-attn-to-linalg --canonicalize | FileCheck %s --check-prefix=TILES

// A causal dot-product attention: tasks over (batch, query block) in an
// scf.parallel; per key block, a mask test over the tile's index bounds that
// skips fully masked blocks, the Q.K tile as vector FMAs, the online softmax
// update with its own exp for non-positive arguments (round, polynomial,
// exponent bits), and the P.V tile as vector FMAs; the result is written to
// a fresh buffer.
// CHECK-LABEL: func @causal
//       CHECK:   %[[OUT:.*]] = memref.alloc
//       CHECK:   scf.parallel
//       CHECK:     memref.alloca() {{.*}} : memref<64x64xf32>
//       CHECK:     scf.for
//       CHECK:       %[[SKIP:.*]] = arith.cmpi sgt
//       CHECK:       scf.if %[[SKIP]] {
//       CHECK:       } else {
//       CHECK:         vector.fma {{.*}} : vector<16xf32>
//       CHECK:         math.roundeven
//       CHECK:         vector.fma {{.*}} : vector<16xf32>
//       CHECK:     memref.store {{.*}}, %[[OUT]]
//       CHECK:   bufferization.to_tensor %[[OUT]] restrict writable
// In a key block the mask cuts through, register tiles of Q.K that the mask
// test over the tile's bounds finds all masked are skipped (the test runs
// only when the block is not all unmasked), and each group of queries
// multiplies in P.V only its keys [lo, hi) with a nonzero weight, found by
// scanning the weights from both ends.
// TILES-LABEL: func @causal
//       TILES:   scf.if %{{.*}} {
//       TILES:   } else {
//       TILES:     %[[LIVE:.*]] = scf.if %{{.*}} -> (i1) {
//  TILES-NEXT:       scf.yield %true : i1
//       TILES:     } else {
//       TILES:       arith.cmpi
//       TILES:       scf.yield %{{.*}} : i1
//       TILES:     scf.if %[[LIVE]] {
//       TILES:       scf.for
//       TILES:         vector.fma
//       TILES:     %[[HI:.*]] = scf.while
//       TILES:       vector.reduction <or>
//       TILES:       scf.condition
//       TILES:     %[[LO:.*]] = scf.while
//       TILES:       vector.reduction <or>
//       TILES:     memref.store %[[LO]]
//       TILES:     memref.store %[[HI]]
//       TILES:   scf.for %{{.*}} = %[[FROM:.*]] to %[[TO:[a-z0-9_]+]] step %c1 iter_args
//       TILES:     vector.fma
func.func @causal(%q: tensor<?x?x32xf32>, %k: tensor<?x?x32xf32>, %v: tensor<?x?x32xf32>,
                  %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  %o = attn.attention [%b, %s, %t, %c32] {schedule = #attn.schedule<block_q = 64, block_k = 64, vector_width = 16, tile_rows = 8>} : tensor<?x?x32xf32> score {
  ^bb0(%bb: index, %i: index, %j: index):
    %dot = attn.index_reduce sum [%c32] : f32 {
    ^bb0(%d: index):
      %x = attn.read %q[%bb, %i, %d] {in_bounds} : tensor<?x?x32xf32>
      %y = attn.read %k[%bb, %j, %d] {in_bounds} : tensor<?x?x32xf32>
      %p = attn.mul %x, %y : f32, f32 -> f32
      attn.yield %p : f32
    }
    attn.yield %dot : f32
  } mask {
  ^bb0(%bb: index, %i: index, %j: index):
    %keep = attn.cmp le, %j, %i : index, index -> i1
    attn.yield %keep : i1
  } value {
  ^bb0(%bb: index, %j: index, %d: index):
    %x = attn.read %v[%bb, %j, %d] {in_bounds} : tensor<?x?x32xf32>
    attn.yield %x : f32
  }
  return %o : tensor<?x?x32xf32>
}

// A result that only goes to a destination buffer is written there directly,
// with no buffer of its own and no copy; the division of every score by a
// uniform scale becomes one reciprocal before the tasks and a multiplication
// per score. threads(2) in the schedule caps the tasks' loop at two threads.
// CHECK-LABEL: func @scaled_into_destination
//  CHECK-SAME:   %[[DEST:[a-z0-9]+]]: memref<?x?x32xf32>
//   CHECK-NOT:   memref.alloc(
//       CHECK:   %[[RECIP:.*]] = arith.divf %{{.*}}, %[[SCALE:[a-z0-9]+]] : f32
//       CHECK:   scf.parallel
//   CHECK-NOT:     arith.divf {{.*}}%[[SCALE]]
//       CHECK:     arith.mulf {{.*}}%[[RECIP]] : f32
//       CHECK:     memref.store {{.*}}, %[[DEST]]
//       CHECK:   } {attnc.max_threads = 2 : i64}
//   CHECK-NOT:   bufferization.materialize_in_destination
//       CHECK:   return
func.func @scaled_into_destination(%q: tensor<?x?x32xf32>, %k: tensor<?x?x32xf32>,
                                   %v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index,
                                   %scale: f32, %dest: memref<?x?x32xf32>) {
  %c32 = arith.constant 32 : index
  %o = attn.attention [%b, %s, %t, %c32] {schedule = #attn.schedule<block_q = 64, block_k = 64, vector_width = 16, tile_rows = 8, threads = 2>} : tensor<?x?x32xf32> score {
  ^bb0(%bb: index, %i: index, %j: index):
    %dot = attn.index_reduce sum [%c32] : f32 {
    ^bb0(%d: index):
      %x = attn.read %q[%bb, %i, %d] {in_bounds} : tensor<?x?x32xf32>
      %y = attn.read %k[%bb, %j, %d] {in_bounds} : tensor<?x?x32xf32>
      %p = attn.mul %x, %y : f32, f32 -> f32
      attn.yield %p : f32
    }
    %scaled = attn.div %dot, %scale : f32, f32 -> f32
    attn.yield %scaled : f32
  } mask {
  ^bb0(%bb: index, %i: index, %j: index):
    %true = arith.constant true
    attn.yield %true : i1
  } value {
  ^bb0(%bb: index, %j: index, %d: index):
    %x = attn.read %v[%bb, %j, %d] {in_bounds} : tensor<?x?x32xf32>
    attn.yield %x : f32
  }
  bufferization.materialize_in_destination %o in restrict writable %dest
      : (tensor<?x?x32xf32>, memref<?x?x32xf32>) -> ()
  return
}

// topk(K): each task first streams its keys through a min-heap of
// min(K, T) scores per query (skipped when K >= T), then runs the fused pass,
// which keeps the scores above each query's threshold and ties while they
// fit. Per task: the heap, and no row of scores.
// CHECK-LABEL: func @topk
//  CHECK-SAME:   %[[K:[a-z0-9]+]]: index)
//       CHECK:   scf.parallel
//       CHECK:     %[[HEAP:.*]] = memref.alloc(%{{.*}}) : memref<64x?xf32>
//       CHECK:     scf.if
//       CHECK:       vector.fma
//       CHECK:       scf.while
//       CHECK:       memref.store {{.*}}, %[[HEAP]]
//       CHECK:     vector.fma
//       CHECK:     math.roundeven
//   CHECK-NOT:   memref.alloc(
//       CHECK:   return
func.func @topk(%q: tensor<?x?x32xf32>, %k: tensor<?x?x32xf32>, %v: tensor<?x?x32xf32>,
                %b: index, %s: index, %t: index, %kk: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  %o = attn.attention [%b, %s, %t, %c32] topk(%kk) {schedule = #attn.schedule<block_q = 64, block_k = 64, vector_width = 16, tile_rows = 8>} : tensor<?x?x32xf32> score {
  ^bb0(%bb: index, %i: index, %j: index):
    %dot = attn.index_reduce sum [%c32] : f32 {
    ^bb0(%d: index):
      %x = attn.read %q[%bb, %i, %d] {in_bounds} : tensor<?x?x32xf32>
      %y = attn.read %k[%bb, %j, %d] {in_bounds} : tensor<?x?x32xf32>
      %p = attn.mul %x, %y : f32, f32 -> f32
      attn.yield %p : f32
    }
    attn.yield %dot : f32
  } mask {
  ^bb0(%bb: index, %i: index, %j: index):
    %true = arith.constant true
    attn.yield %true : i1
  } value {
  ^bb0(%bb: index, %j: index, %d: index):
    %x = attn.read %v[%bb, %j, %d] {in_bounds} : tensor<?x?x32xf32>
    attn.yield %x : f32
  }
  return %o : tensor<?x?x32xf32>
}

// Grouped-query attention: the keys' and values' head index h / 2 is not
// known to be in bounds (a read outside the tensor yields 0, which a tile
// load would not do), so each task checks it against the tensors' extents
// and takes the tiled paths only when it holds: the decode path for a task
// of at most 4 queries (one query at a time, the inner product in vectors of
// the depth, summed across lanes), else the register-tiled products;
// otherwise every region is evaluated element by element, with
// bounds-checked reads.
// CHECK-LABEL: func @grouped_query
//       CHECK:   scf.parallel
//       CHECK:     %[[EXTENT:.*]] = {{tensor|memref}}.dim %{{.*}}, %c1
//       CHECK:     arith.cmpi slt, %{{.*}}, %[[EXTENT]]
//       CHECK:     scf.if %{{.*}} {
//       CHECK:       arith.cmpi sle, %{{.*}}, %c4
//       CHECK:       scf.if %{{.*}} {
//       CHECK:         vector.maskedload
//       CHECK:         vector.fma
//       CHECK:         vector.reduction <add>
//       CHECK:         math.roundeven
//       CHECK:         vector.maskedstore
//       CHECK:       } else {
//       CHECK:         vector.fma
//       CHECK:         math.roundeven
//       CHECK:     } else {
//   CHECK-NOT:       vector.fma
//       CHECK:       math.roundeven
//       CHECK:     }
func.func @grouped_query(%q: tensor<?x?x?x32xf32>, %k: tensor<?x?x?x32xf32>, %v: tensor<?x?x?x32xf32>,
                         %b: index, %h: index, %s: index, %t: index) -> tensor<?x?x?x32xf32> {
  %c32 = arith.constant 32 : index
  %c2 = arith.constant 2 : index
  %o = attn.attention [%b, %h, %s, %t, %c32] {schedule = #attn.schedule<block_q = 64, block_k = 64, vector_width = 16, tile_rows = 8>} : tensor<?x?x?x32xf32> score {
  ^bb0(%bb: index, %hh: index, %i: index, %j: index):
    %dot = attn.index_reduce sum [%c32] : f32 {
    ^bb0(%d: index):
      %x = attn.read %q[%bb, %hh, %i, %d] {in_bounds} : tensor<?x?x?x32xf32>
      %g = attn.div %hh, %c2 : index, index -> index
      %y = attn.read %k[%bb, %g, %j, %d] : tensor<?x?x?x32xf32>
      %p = attn.mul %x, %y : f32, f32 -> f32
      attn.yield %p : f32
    }
    attn.yield %dot : f32
  } mask {
  ^bb0(%bb: index, %hh: index, %i: index, %j: index):
    %true = arith.constant true
    attn.yield %true : i1
  } value {
  ^bb0(%bb: index, %hh: index, %j: index, %d: index):
    %g = attn.div %hh, %c2 : index, index -> index
    %x = attn.read %v[%bb, %g, %j, %d] : tensor<?x?x?x32xf32>
    attn.yield %x : f32
  }
  return %o : tensor<?x?x?x32xf32>
}

// A result with several uses gets a buffer of its own.
// CHECK-LABEL: func @result_used_twice
//       CHECK:   %[[OUT:.*]] = memref.alloc
//       CHECK:   scf.parallel
//       CHECK:   %[[T:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
//       CHECK:   return %[[T]], %[[T]]
func.func @result_used_twice(%q: tensor<?x?x32xf32>, %b: index, %s: index)
    -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  %c32 = arith.constant 32 : index
  %o = attn.attention [%b, %s, %s, %c32] {schedule = #attn.schedule<block_q = 64, block_k = 64, vector_width = 16, tile_rows = 8>} : tensor<?x?x32xf32> score {
  ^bb0(%bb: index, %i: index, %j: index):
    %x = attn.read %q[%bb, %i, %j] {in_bounds} : tensor<?x?x32xf32>
    attn.yield %x : f32
  } mask {
  ^bb0(%bb: index, %i: index, %j: index):
    %true = arith.constant true
    attn.yield %true : i1
  } value {
  ^bb0(%bb: index, %j: index, %d: index):
    %x = attn.read %q[%bb, %j, %d] {in_bounds} : tensor<?x?x32xf32>
    attn.yield %x : f32
  }
  return %o, %o : tensor<?x?x32xf32>, tensor<?x?x32xf32>
}
