// RUN: attnc-opt %s -split-input-file --attnc-schedule-attention -verify-diagnostics
// RUN: not attnc-opt %s --attnc-schedule-attention="block-k=5000" 2>&1 | FileCheck %s --check-prefix=OPTION

// The model leaves the vector width to the target (16 lanes here), with
// which its query block does not fit.
func.func @bad_query_block(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32>
    attributes {attn.schedule = #attn.schedule<block_q = 48>} {
  %c32 = arith.constant 32 : index
  // expected-error @+1 {{schedule: query block 48 is not a multiple of 32 (two vectors of 16 lanes)}}
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

// A pass option out of range is an error of the function.
// OPTION: error: attnc-schedule-attention option: key block 5000 is not in 1..1024
