// RUN: attnc-opt %s --attnc-convert-attn-to-linalg -verify-diagnostics

// The fused attention is each backend's to lower, before this pass: left
// here, it is reported where it is, with the pass that lowers it on the CPU.
func.func @attention_left(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  // expected-error @+1 {{attn.attention is lowered by the backend before this pass (on the CPU: attnc-cpu-lower-attention)}}
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
