// RUN: attnc-opt %s -split-input-file --attnc-fuse-attention="report-missed=true" --canonicalize -verify-diagnostics | FileCheck %s

// softmax(q @ k.T * c) @ v: the matmul becomes an inner product over d in the
// score region, the scale is applied to it, nothing is masked.
// CHECK-LABEL: func @dot_product
//  CHECK-SAME: (%[[Q:.*]]: tensor<?x?x64xf32>, %[[K:.*]]: tensor<?x?x64xf32>, %[[V:.*]]: tensor<?x?x64xf32>)
//   CHECK-NOT: attn.softmax
//       CHECK: %[[O:.*]] = attn.attention [%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : tensor<?x?x64xf32> score {
//  CHECK-NEXT: ^bb0(%[[B:.*]]: index, %[[I:.*]]: index, %[[J:.*]]: index):
//  CHECK-NEXT:   %[[DOT:.*]] = attn.index_reduce {{ *}}sum[%{{.*}}] : f32 {
//  CHECK-NEXT:   ^bb0(%[[D:.*]]: index):
//  CHECK-NEXT:     attn.read %[[Q]][%[[B]], %[[I]], %[[D]]] {in_bounds}
//  CHECK-NEXT:     attn.read %[[K]][%[[B]], %[[J]], %[[D]]] {in_bounds}
//       CHECK:   %[[S:.*]] = attn.mul %[[DOT]], %{{.*}} : f32, f32 -> f32
//  CHECK-NEXT:   attn.yield %[[S]] : f32
//       CHECK: } mask {
//       CHECK:   attn.yield %true : i1
//       CHECK: } value {
//  CHECK-NEXT: ^bb0(%[[VB:.*]]: index, %[[VJ:.*]]: index, %[[VD:.*]]: index):
//  CHECK-NEXT:   attn.read %[[V]][%[[VB]], %[[VJ]], %[[VD]]] {in_bounds}
//       CHECK: return %[[O]]
func.func @dot_product(%q: tensor<?x?x64xf32>, %k: tensor<?x?x64xf32>, %v: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %kt = attn.transpose %k [0, 2, 1] : tensor<?x?x64xf32> -> tensor<?x64x?xf32>
  %s = attn.matmul %q, %kt : tensor<?x?x64xf32>, tensor<?x64x?xf32> -> tensor<?x?x?xf32>
  %c = arith.constant 0.125 : f32
  %x = attn.mul %s, %c : tensor<?x?x?xf32>, f32 -> tensor<?x?x?xf32>
  %w = attn.softmax %x axis = 2 : tensor<?x?x?xf32> -> tensor<?x?x?xf32>
  %o = attn.matmul %w, %v : tensor<?x?x?xf32>, tensor<?x?x64xf32> -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}

// -----

// softmax(topk_mask(q @ k.T, K)) @ v: the top-k selection becomes the op's
// topk operand and its input is fused like any score, so neither the scores
// nor the selected scores are materialised.
// CHECK-LABEL: func @topk_dot_product
//  CHECK-SAME: %[[KK:[a-z0-9]+]]: index)
//   CHECK-NOT: attn.topk_mask
//       CHECK: attn.attention [%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] topk(%[[KK]]) : tensor<?x?x64xf32> score {
//       CHECK:   attn.index_reduce {{ *}}sum
//   CHECK-NOT: attn.topk_mask
//   CHECK-NOT: attn.softmax
func.func @topk_dot_product(%q: tensor<?x?x64xf32>, %k: tensor<?x?x64xf32>, %v: tensor<?x?x64xf32>,
                            %kk: index) -> tensor<?x?x64xf32> {
  %kt = attn.transpose %k [0, 2, 1] : tensor<?x?x64xf32> -> tensor<?x64x?xf32>
  %s = attn.matmul %q, %kt : tensor<?x?x64xf32>, tensor<?x64x?xf32> -> tensor<?x?x?xf32>
  %x = attn.topk_mask %s, %kk : tensor<?x?x?xf32>, index -> tensor<?x?x?xf32>
  %w = attn.softmax %x axis = 2 : tensor<?x?x?xf32> -> tensor<?x?x?xf32>
  %o = attn.matmul %w, %v : tensor<?x?x?xf32>, tensor<?x?x64xf32> -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}

// -----

// A causal comprehension over the score: where(j <= i, s, -inf) becomes the
// mask region; the score region keeps s. The weighted sum is the
// comprehension form sum(j: w[i, j] * v[j, d]).
// CHECK-LABEL: func @causal_comprehension
//       CHECK: attn.attention
//       CHECK: score {
//   CHECK-NOT:   attn.where
//       CHECK: } mask {
//  CHECK-NEXT: ^bb0(%[[I:.*]]: index, %[[J:.*]]: index):
//       CHECK:   %[[KEEP:.*]] = attn.cmp {{ *}}le, %[[J]], %[[I]] : index, index -> i1
//       CHECK:   attn.yield %[[KEEP]] : i1
//       CHECK: } value {
//   CHECK-NOT: attn.comprehension
func.func @causal_comprehension(%s: tensor<?x?xf32>, %v: tensor<?x8xf32>, %n: index, %t: index) -> tensor<?x8xf32> {
  %m = attn.comprehension [%n, %t] : tensor<?x?xf32> {
  ^bb0(%i: index, %j: index):
    %keep = attn.cmp le, %j, %i : index, index -> i1
    %x = attn.read %s[%i, %j] : tensor<?x?xf32>
    %inf = arith.constant 0x7F800000 : f32
    %ninf = attn.neg %inf : f32 -> f32
    %r = attn.where %keep, %x, %ninf : i1, f32, f32 -> f32
    attn.yield %r : f32
  }
  %w = attn.softmax %m axis = 1 : tensor<?x?xf32> -> tensor<?x?xf32>
  %c8 = arith.constant 8 : index
  %o = attn.comprehension [%n, %c8] : tensor<?x8xf32> {
  ^bb0(%i: index, %d: index):
    %acc = attn.index_reduce sum [%t] : f32 {
    ^bb0(%j: index):
      %a = attn.read %w[%i, %j] : tensor<?x?xf32>
      %b = attn.read %v[%j, %d] : tensor<?x8xf32>
      %p = attn.mul %a, %b : f32, f32 -> f32
      attn.yield %p : f32
    }
    attn.yield %acc : f32
  }
  return %o : tensor<?x8xf32>
}

// -----

// Additive (Bahdanau) scores fuse too: the tanh sum stays in the score region.
// CHECK-LABEL: func @additive
//       CHECK: attn.attention
//       CHECK: score {
//       CHECK:   attn.index_reduce {{ *}}sum
//       CHECK:     attn.tanh
//   CHECK-NOT: attn.softmax
func.func @additive(%qh: tensor<?x?x16xf32>, %kh: tensor<?x?x16xf32>, %wv: tensor<16xf32>, %v: tensor<?x?x8xf32>,
                    %b: index, %s: index, %t: index) -> tensor<?x?x8xf32> {
  %e = attn.comprehension [%b, %s, %t] : tensor<?x?x?xf32> {
  ^bb0(%bb: index, %i: index, %j: index):
    %c16 = arith.constant 16 : index
    %r = attn.index_reduce sum [%c16] : f32 {
    ^bb0(%h: index):
      %w = attn.read %wv[%h] : tensor<16xf32>
      %x = attn.read %qh[%bb, %i, %h] : tensor<?x?x16xf32>
      %y = attn.read %kh[%bb, %j, %h] : tensor<?x?x16xf32>
      %z = attn.add %x, %y : f32, f32 -> f32
      %th = attn.tanh %z : f32 -> f32
      %p = attn.mul %w, %th : f32, f32 -> f32
      attn.yield %p : f32
    }
    attn.yield %r : f32
  }
  %w = attn.softmax %e axis = 2 : tensor<?x?x?xf32> -> tensor<?x?x?xf32>
  %o = attn.matmul %w, %v : tensor<?x?x?xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// Weights that are also returned must be materialised: not fused, and said so.
// CHECK-LABEL: func @weights_used_twice
//       CHECK: attn.softmax
//   CHECK-NOT: attn.attention
func.func @weights_used_twice(%x: tensor<?x?xf32>, %v: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x?xf32>) {
  // expected-remark @+1 {{attention chain not fused: the attention weights have other uses, so they must be materialised}}
  %w = attn.softmax %x axis = 1 : tensor<?x?xf32> -> tensor<?x?xf32>
  %o = attn.matmul %w, %v : tensor<?x?xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %o, %w : tensor<?x8xf32>, tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func @softmax_over_queries
//   CHECK-NOT: attn.attention
func.func @softmax_over_queries(%x: tensor<?x?xf32>, %v: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-remark @+1 {{attention chain not fused: the softmax is not over the last axis}}
  %w = attn.softmax %x axis = 0 : tensor<?x?xf32> -> tensor<?x?xf32>
  %o = attn.matmul %w, %v : tensor<?x?xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func @weights_on_the_right
//   CHECK-NOT: attn.attention
func.func @weights_on_the_right(%x: tensor<?x?xf32>, %v: tensor<8x?xf32>) -> tensor<8x?xf32> {
  // expected-remark @+1 {{attention chain not fused: the weights are the right operand of '@'}}
  %w = attn.softmax %x axis = 1 : tensor<?x?xf32> -> tensor<?x?xf32>
  %o = attn.matmul %v, %w : tensor<8x?xf32>, tensor<?x?xf32> -> tensor<8x?xf32>
  return %o : tensor<8x?xf32>
}

// -----

// CHECK-LABEL: func @no_weighted_sum
//   CHECK-NOT: attn.attention
func.func @no_weighted_sum(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-remark @+1 {{attention chain not fused: the weights are not multiplied by values}}
  %w = attn.softmax %x axis = 1 : tensor<?x?xf32> -> tensor<?x?xf32>
  %y = attn.exp %w : tensor<?x?xf32> -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// One decoder step (Luong): the weights [B, T] have no query axis; the values
// depend on b, which is then a batch axis. Fused as a single query, reshaped.
// CHECK-LABEL: func @decoder_step
//  CHECK-SAME: (%{{.*}}: tensor<?x?xf32>, %[[ENC:.*]]: tensor<?x?x8xf32>, %{{.*}}: index, %{{.*}}: index)
//       CHECK: %[[ONE:.*]] = arith.constant 1 : index
//       CHECK: %[[O:.*]] = attn.attention [%{{.*}}, %[[ONE]], %{{.*}}, %{{.*}}] : tensor<?x1x8xf32> score {
//       CHECK: } value {
//  CHECK-NEXT: ^bb0(%[[VB:.*]]: index, %[[VJ:.*]]: index, %[[VD:.*]]: index):
//  CHECK-NEXT:   attn.read %[[ENC]][%[[VB]], %[[VJ]], %[[VD]]]
//       CHECK: attn.reshape %[[O]] to [%{{.*}}, %{{.*}}] : tensor<?x1x8xf32> -> tensor<?x8xf32>
func.func @decoder_step(%x: tensor<?x?xf32>, %enc: tensor<?x?x8xf32>, %b: index, %t: index) -> tensor<?x8xf32> {
  %w = attn.softmax %x axis = 1 : tensor<?x?xf32> -> tensor<?x?xf32>
  %c8 = arith.constant 8 : index
  %o = attn.comprehension [%b, %c8] : tensor<?x8xf32> {
  ^bb0(%i: index, %d: index):
    %acc = attn.index_reduce sum [%t] : f32 {
    ^bb0(%j: index):
      %a = attn.read %w[%i, %j] : tensor<?x?xf32>
      %e = attn.read %enc[%i, %j, %d] : tensor<?x?x8xf32>
      %p = attn.mul %a, %e : f32, f32 -> f32
      attn.yield %p : f32
    }
    attn.yield %acc : f32
  }
  return %o : tensor<?x8xf32>
}

// -----

// One value per key (Nadaraya-Watson): `w @ ys` with ys a vector, and the
// comprehension `sum(j: w[b, i, j] * ys[b, j])`, fuse with D = 1; the result
// [.., S, 1] is reshaped to [.., S].
// CHECK-LABEL: func @vector_values
//  CHECK-SAME: (%{{.*}}: tensor<?x?x?xf32>, %[[YS:.*]]: tensor<?x?xf32>, %[[Y:.*]]: tensor<?xf32>,
//       CHECK: %[[ONE:.*]] = arith.constant 1 : index
//       CHECK: %[[O1:.*]] = attn.attention [%{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]]] : tensor<?x?x1xf32> score {
//       CHECK: } value {
//  CHECK-NEXT: ^bb0(%[[VB:.*]]: index, %[[VJ:.*]]: index, %{{.*}}: index):
//  CHECK-NEXT:   attn.read %[[YS]][%[[VB]], %[[VJ]]]
//       CHECK: attn.reshape %[[O1]] to [%{{.*}}, %{{.*}}] : tensor<?x?x1xf32> -> tensor<?x?xf32>
//       CHECK: %[[O2:.*]] = attn.attention [%{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]]] : tensor<?x?x1xf32> score {
//       CHECK: } value {
//  CHECK-NEXT: ^bb0(%{{.*}}: index, %[[VJ2:.*]]: index, %{{.*}}: index):
//  CHECK-NEXT:   attn.read %[[Y]][%[[VJ2]]]
//       CHECK: attn.reshape %[[O2]] to [%{{.*}}, %{{.*}}] : tensor<?x?x1xf32> -> tensor<?x?xf32>
func.func @vector_values(%x: tensor<?x?x?xf32>, %ys: tensor<?x?xf32>, %y: tensor<?xf32>,
                         %b: index, %s: index, %t: index) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %w = attn.softmax %x axis = 2 : tensor<?x?x?xf32> -> tensor<?x?x?xf32>
  %o1 = attn.comprehension [%b, %s] : tensor<?x?xf32> {
  ^bb0(%bb: index, %i: index):
    %acc = attn.index_reduce sum [%t] : f32 {
    ^bb0(%j: index):
      %a = attn.read %w[%bb, %i, %j] : tensor<?x?x?xf32>
      %v = attn.read %ys[%bb, %j] : tensor<?x?xf32>
      %p = attn.mul %a, %v : f32, f32 -> f32
      attn.yield %p : f32
    }
    attn.yield %acc : f32
  }
  %w2 = attn.softmax %x axis = 2 : tensor<?x?x?xf32> -> tensor<?x?x?xf32>
  %o2 = attn.matmul %w2, %y : tensor<?x?x?xf32>, tensor<?xf32> -> tensor<?x?xf32>
  return %o1, %o2 : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// An element used twice is built once: a chain of lets that each use the
// previous one twice inlines into a score that grows linearly, not
// exponentially (here three adds, one per let, and one read of each of q, k).
// CHECK-LABEL: func @shared_elements
//       CHECK: attn.attention {{.*}} score {
//       CHECK:   attn.index_reduce
// CHECK-COUNT-2:   attn.read
//   CHECK-NOT:   attn.read
// CHECK-COUNT-3:   attn.add
//   CHECK-NOT:   attn.add
//       CHECK:   attn.yield
//       CHECK: } mask {
func.func @shared_elements(%q: tensor<?x8xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %kt = attn.transpose %k [1, 0] : tensor<?x8xf32> -> tensor<8x?xf32>
  %s = attn.matmul %q, %kt : tensor<?x8xf32>, tensor<8x?xf32> -> tensor<?x?xf32>
  %a1 = attn.add %s, %s : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  %a2 = attn.add %a1, %a1 : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  %a3 = attn.add %a2, %a2 : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  %w = attn.softmax %a3 axis = 1 : tensor<?x?xf32> -> tensor<?x?xf32>
  %o = attn.matmul %w, %v : tensor<?x?xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// -----

// softmax((x @ wq) @ (x @ wk).T) @ (x @ wv): the score inlines its own
// contraction only; the projections inside it, and the one in the value of
// the weighted sum, are read from their tensors (computed once, not once per
// query and key).
// CHECK-LABEL: func @projections_stay_tensors
//       CHECK: %[[Q:.*]] = attn.matmul
//       CHECK: %[[K:.*]] = attn.matmul
//       CHECK: %[[V:.*]] = attn.matmul
//       CHECK: attn.attention {{.*}} score {
//  CHECK-NEXT: ^bb0(%[[I:.*]]: index, %[[J:.*]]: index):
//  CHECK-NEXT:   attn.index_reduce {{ *}}sum
//  CHECK-NEXT:   ^bb0(%[[D:.*]]: index):
//  CHECK-NEXT:     attn.read %[[Q]][%[[I]], %[[D]]] {in_bounds}
//  CHECK-NEXT:     attn.read %[[K]][%[[J]], %[[D]]] {in_bounds}
//   CHECK-NOT:   attn.index_reduce
//       CHECK: } value {
//  CHECK-NEXT: ^bb0(%[[VJ:.*]]: index, %[[VD:.*]]: index):
//  CHECK-NEXT:   attn.read %[[V]][%[[VJ]], %[[VD]]] {in_bounds}
//  CHECK-NEXT:   attn.yield
func.func @projections_stay_tensors(%x: tensor<?x8xf32>, %wq: tensor<8x8xf32>, %wk: tensor<8x8xf32>,
                                    %wv: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %q = attn.matmul %x, %wq : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %k = attn.matmul %x, %wk : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %v = attn.matmul %x, %wv : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %kt = attn.transpose %k [1, 0] : tensor<?x8xf32> -> tensor<8x?xf32>
  %s = attn.matmul %q, %kt : tensor<?x8xf32>, tensor<8x?xf32> -> tensor<?x?xf32>
  %w = attn.softmax %s axis = 1 : tensor<?x?xf32> -> tensor<?x?xf32>
  %o = attn.matmul %w, %v : tensor<?x?xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// -----

// sigmoid(q @ k.T + b) @ v over heads, no softmax: fused without
// normalisation; the sigmoid is in the score region, which yields weights.
// CHECK-LABEL: func @sigmoid_attention
//   CHECK-NOT: attn.matmul
//       CHECK: %[[O:.*]] = attn.attention [%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] unnormalized : tensor<?x?x?x64xf32> score {
//       CHECK:   attn.index_reduce {{ *}}sum
//       CHECK:   %[[W:.*]] = attn.sigmoid %{{.*}} : f32 -> f32
//  CHECK-NEXT:   attn.yield %[[W]] : f32
//       CHECK: return %[[O]]
func.func @sigmoid_attention(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>, %v: tensor<?x?x?x64xf32>,
                             %b: f32) -> tensor<?x?x?x64xf32> {
  %kt = attn.transpose %k [0, 1, 3, 2] : tensor<?x?x?x64xf32> -> tensor<?x?x64x?xf32>
  %s = attn.matmul %q, %kt : tensor<?x?x?x64xf32>, tensor<?x?x64x?xf32> -> tensor<?x?x?x?xf32>
  %x = attn.add %s, %b : tensor<?x?x?x?xf32>, f32 -> tensor<?x?x?x?xf32>
  %w = attn.sigmoid %x : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %o = attn.matmul %w, %v : tensor<?x?x?x?xf32>, tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
  return %o : tensor<?x?x?x64xf32>
}

// -----

// The same form with rank-2 operands is a layer's feed-forward network as
// often as not: left alone, with the reason.
// CHECK-LABEL: func @unbatched_relu
//       CHECK: attn.matmul
//       CHECK: attn.matmul
//   CHECK-NOT: attn.attention
func.func @unbatched_relu(%x: tensor<?x64xf32>, %w1: tensor<?x64xf32>, %w2: tensor<64x?xf32>) -> tensor<?x64xf32> {
  %w1t = attn.transpose %w1 [1, 0] : tensor<?x64xf32> -> tensor<64x?xf32>
  %h = attn.matmul %x, %w1t : tensor<?x64xf32>, tensor<64x?xf32> -> tensor<?x?xf32>
  // expected-remark @+1 {{attention chain not fused: its weights are not a softmax of the score, and its score is not batched on both sides}}
  %r = attn.relu %h : tensor<?x?xf32> -> tensor<?x?xf32>
  %w2t = attn.transpose %w2 [1, 0] : tensor<64x?xf32> -> tensor<?x64xf32>
  %o = attn.matmul %r, %w2t : tensor<?x?xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}
