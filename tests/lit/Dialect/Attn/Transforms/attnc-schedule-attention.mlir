// RUN: attnc-opt %s -split-input-file --attnc-schedule-attention -verify-diagnostics | FileCheck %s --check-prefix=AUTO
// RUN: attnc-opt %s -split-input-file --attnc-schedule-attention="block-k=128 target-vector-width=8" -verify-diagnostics | FileCheck %s --check-prefix=OPTIONS
// RUN: attnc-opt %s -split-input-file --attnc-schedule-attention="target-vector-width=8 target-vector-registers=16" -verify-diagnostics | FileCheck %s --check-prefix=AVX2
// RUN: attnc-opt %s -split-input-file --attnc-schedule-attention="vector-width=16 target-vector-width=8 target-vector-registers=16" -verify-diagnostics | FileCheck %s --check-prefix=WIDE

// The automatic schedule: 64 queries, 64 keys, the target's vector width,
// and as many tile rows as its registers hold: 8 with 32 registers, 6 with
// AVX2's 16, 2 when each vector takes two registers. Options win over it.
// AVX2-LABEL: func @automatic
//       AVX2: attn.attention {{.*}} {schedule = #attn.schedule<block_q = 64, block_k = 64, vector_width = 8, tile_rows = 6>}
// WIDE-LABEL: func @automatic
//       WIDE: attn.attention {{.*}} {schedule = #attn.schedule<block_q = 64, block_k = 64, vector_width = 16, tile_rows = 2>}
// AUTO-LABEL: func @automatic
//       AUTO: attn.attention {{.*}} {schedule = #attn.schedule<block_q = 64, block_k = 64, vector_width = 16, tile_rows = 8>}
// OPTIONS-LABEL: func @automatic
//       OPTIONS: attn.attention {{.*}} {schedule = #attn.schedule<block_q = 64, block_k = 128, vector_width = 8, tile_rows = 8>}
func.func @automatic(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  %o = attn.attention [%b, %s, %t, %c32] : tensor<?x?x32xf32> score {
  ^bb0(%bb: index, %i: index, %j: index):
    %z = arith.constant 0.0 : f32
    attn.yield %z : f32
  } mask {
  ^bb0(%bb: index, %i: index, %j: index):
    %k = arith.constant true
    attn.yield %k : i1
  } value {
  ^bb0(%bb: index, %j: index, %d: index):
    %x = attn.read %v[%bb, %j, %d] : tensor<?x?x32xf32>
    attn.yield %x : f32
  }
  return %o : tensor<?x?x32xf32>
}

// -----

// One query (decoding): a query block of two vectors is enough.
// AUTO-LABEL: func @single_query
//       AUTO: schedule = #attn.schedule<block_q = 32, block_k = 64,
func.func @single_query(%v: tensor<?x?x32xf32>, %b: index, %t: index) -> tensor<?x1x32xf32> {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %o = attn.attention [%b, %c1, %t, %c32] : tensor<?x1x32xf32> score {
  ^bb0(%bb: index, %i: index, %j: index):
    %z = arith.constant 0.0 : f32
    attn.yield %z : f32
  } mask {
  ^bb0(%bb: index, %i: index, %j: index):
    %k = arith.constant true
    attn.yield %k : i1
  } value {
  ^bb0(%bb: index, %j: index, %d: index):
    %x = attn.read %v[%bb, %j, %d] : tensor<?x?x32xf32>
    attn.yield %x : f32
  }
  return %o : tensor<?x1x32xf32>
}

// -----

// The model's schedule block (recorded on the function) is used where no
// option is given; threads(n) is carried over as `threads`.
// AUTO-LABEL: func @from_model
//       AUTO: schedule = #attn.schedule<block_q = 128, block_k = 32, vector_width = 16, tile_rows = 4, threads = 3>
// OPTIONS-LABEL: func @from_model
//       OPTIONS: schedule = #attn.schedule<block_q = 128, block_k = 128, vector_width = 16, tile_rows = 4, threads = 3>
func.func @from_model(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32>
    attributes {attn.schedule = #attn.schedule<block_q = 128, block_k = 32, vector_width = 16, tile_rows = 4, threads = 3>} {
  %c32 = arith.constant 32 : index
  %o = attn.attention [%b, %s, %t, %c32] : tensor<?x?x32xf32> score {
  ^bb0(%bb: index, %i: index, %j: index):
    %z = arith.constant 0.0 : f32
    attn.yield %z : f32
  } mask {
  ^bb0(%bb: index, %i: index, %j: index):
    %k = arith.constant true
    attn.yield %k : i1
  } value {
  ^bb0(%bb: index, %j: index, %d: index):
    %x = attn.read %v[%bb, %j, %d] : tensor<?x?x32xf32>
    attn.yield %x : f32
  }
  return %o : tensor<?x?x32xf32>
}
