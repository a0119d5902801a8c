// RUN: attnc-opt %s | FileCheck %s
// Round trip: what attnc-opt prints, it parses back to the same text.
// RUN: attnc-opt %s | attnc-opt | FileCheck %s

// CHECK-LABEL: func @elementwise
func.func @elementwise(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %s: f32, %i: index, %n: tensor<?xi32>) {
  // CHECK: attn.add %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %0 = attn.add %a, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK: attn.mul %{{.*}}, %{{.*}} : tensor<?x4xf32>, f32 -> tensor<?x4xf32>
  %1 = attn.mul %0, %s : tensor<?x4xf32>, f32 -> tensor<?x4xf32>
  // CHECK: attn.sub %{{.*}}, %{{.*}} : index, index -> index
  %2 = attn.sub %i, %i : index, index -> index
  // CHECK: attn.div
  %3 = attn.div %a, %s : tensor<?x4xf32>, f32 -> tensor<?x4xf32>
  // CHECK: attn.mod
  %4 = attn.mod %i, %i : index, index -> index
  // CHECK: attn.pow
  %5 = attn.pow %a, %s : tensor<?x4xf32>, f32 -> tensor<?x4xf32>
  // CHECK: attn.max
  %6 = attn.max %a, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK: attn.min
  %7 = attn.min %s, %s : f32, f32 -> f32
  // CHECK: attn.cmp {{ *}}le, %{{.*}}, %{{.*}} : index, index -> i1
  %8 = attn.cmp le, %i, %i : index, index -> i1
  // CHECK: attn.cmp {{ *}}gt, %{{.*}}, %{{.*}} : tensor<?x4xf32>, f32 -> tensor<?x4xi1>
  %9 = attn.cmp gt, %a, %s : tensor<?x4xf32>, f32 -> tensor<?x4xi1>
  // CHECK: attn.and
  %10 = attn.and %8, %8 : i1, i1 -> i1
  // CHECK: attn.or
  %11 = attn.or %9, %8 : tensor<?x4xi1>, i1 -> tensor<?x4xi1>
  // CHECK: attn.not
  %12 = attn.not %11 : tensor<?x4xi1> -> tensor<?x4xi1>
  // CHECK: attn.where %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xi1>, tensor<?x4xf32>, f32 -> tensor<?x4xf32>
  %13 = attn.where %12, %a, %s : tensor<?x4xi1>, tensor<?x4xf32>, f32 -> tensor<?x4xf32>
  // CHECK: attn.neg
  %14 = attn.neg %a : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: attn.exp
  %15 = attn.exp %a : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: attn.log
  %16 = attn.log %s : f32 -> f32
  // CHECK: attn.sqrt
  %17 = attn.sqrt %i : index -> f32
  // CHECK: attn.rsqrt
  %18 = attn.rsqrt %s : f32 -> f32
  // CHECK: attn.abs
  %19 = attn.abs %a : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: attn.tanh
  %20 = attn.tanh %a : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: attn.sigmoid
  %21 = attn.sigmoid %a : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: attn.relu
  %22 = attn.relu %a : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: attn.gelu
  %23 = attn.gelu %a : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: attn.sin
  %24 = attn.sin %s : f32 -> f32
  // CHECK: attn.cos
  %25 = attn.cos %s : f32 -> f32
  // CHECK: attn.convert %{{.*}} : tensor<?xi32> -> tensor<?xf32>
  %26 = attn.convert %n : tensor<?xi32> -> tensor<?xf32>
  // CHECK: attn.silu %{{.*}} : tensor<?x4xf32> -> tensor<?x4xf32>
  %27 = attn.silu %a : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: attn.softplus %{{.*}} : f32 -> f32
  %28 = attn.softplus %s : f32 -> f32
  // CHECK: attn.erf
  %29 = attn.erf %a : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: attn.floor %{{.*}} : tensor<?x4xf32> -> tensor<?x4xi64>
  %30 = attn.floor %a : tensor<?x4xf32> -> tensor<?x4xi64>
  // CHECK: attn.ceil %{{.*}} : f32 -> index
  %31 = attn.ceil %s : f32 -> index
  // CHECK: attn.round
  %32 = attn.round %a : tensor<?x4xf32> -> tensor<?x4xi64>
  // CHECK: attn.trunc
  %33 = attn.trunc %a : tensor<?x4xf32> -> tensor<?x4xi64>
  return
}

// CHECK-LABEL: func @tensor_level
func.func @tensor_level(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %x: tensor<?x?x256xf32>,
                        %g: tensor<256xf32>, %h: index) {
  // CHECK: attn.transpose %{{.*}} [0, 1, 3, 2] : tensor<?x8x?x64xf32> -> tensor<?x8x64x?xf32>
  %kt = attn.transpose %k [0, 1, 3, 2] : tensor<?x8x?x64xf32> -> tensor<?x8x64x?xf32>
  // CHECK: attn.matmul %{{.*}}, %{{.*}} : tensor<?x8x?x64xf32>, tensor<?x8x64x?xf32> -> tensor<?x8x?x?xf32>
  %s = attn.matmul %q, %kt : tensor<?x8x?x64xf32>, tensor<?x8x64x?xf32> -> tensor<?x8x?x?xf32>
  // CHECK: attn.softmax %{{.*}} axis = 3 : tensor<?x8x?x?xf32> -> tensor<?x8x?x?xf32>
  %w = attn.softmax %s axis = 3 : tensor<?x8x?x?xf32> -> tensor<?x8x?x?xf32>
  // CHECK: attn.reduce {{ *}}mean %{{.*}} [1, 3] : tensor<?x8x?x?xf32> -> tensor<?x?xf32>
  %m = attn.reduce mean %w [1, 3] : tensor<?x8x?x?xf32> -> tensor<?x?xf32>
  // CHECK: attn.layernorm %{{.*}}, %{{.*}}, %{{.*}} eps = 1.000000e-05
  %ln = attn.layernorm %x, %g, %g eps = 1.0e-05 : tensor<?x?x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<?x?x256xf32>
  // CHECK: attn.rmsnorm %{{.*}}, %{{.*}} eps = 9.9999999999999995E-7
  %rn = attn.rmsnorm %x, %g eps = 1.0e-06 : tensor<?x?x256xf32>, tensor<256xf32> -> tensor<?x?x256xf32>
  // CHECK: attn.heads %{{.*}}, %{{.*}} : tensor<?x?x256xf32>, index -> tensor<?x4x?x64xf32>
  %hd = attn.heads %x, %h : tensor<?x?x256xf32>, index -> tensor<?x4x?x64xf32>
  // CHECK: attn.unheads %{{.*}} : tensor<?x4x?x64xf32> -> tensor<?x?x256xf32>
  %uh = attn.unheads %hd : tensor<?x4x?x64xf32> -> tensor<?x?x256xf32>
  // CHECK: attn.reshape %{{.*}} to [%{{.*}}, %{{.*}}] : tensor<?x?x256xf32> -> tensor<?x256xf32>
  %r = attn.reshape %uh to [%h, %h] : tensor<?x?x256xf32> -> tensor<?x256xf32>
  // CHECK: attn.concat %{{.*}}, %{{.*}} axis = 1 : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x512xf32>
  %c = attn.concat %r, %r axis = 1 : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x512xf32>
  // CHECK: attn.topk_mask %{{.*}}, %{{.*}} : tensor<?x512xf32>, index -> tensor<?x512xf32>
  %t = attn.topk_mask %c, %h : tensor<?x512xf32>, index -> tensor<?x512xf32>
  return
}

// CHECK-LABEL: func @element_level
func.func @element_level(%x: tensor<?x3xf32>, %n: index) -> tensor<?x?xf32> {
  // CHECK: attn.comprehension [%{{.*}}, %{{.*}}] : tensor<?x?xf32> {
  // CHECK-NEXT: ^bb0(%[[I:.*]]: index, %[[J:.*]]: index):
  %e = attn.comprehension [%n, %n] : tensor<?x?xf32> {
  ^bb0(%i: index, %j: index):
    // CHECK: attn.index_reduce {{ *}}sum[%{{.*}}] : f32 {
    %s = attn.index_reduce sum [%n] : f32 {
    ^bb0(%h: index):
      // CHECK: attn.read %{{.*}}[%[[I]], %{{.*}}] : tensor<?x3xf32>
      %v = attn.read %x[%i, %h] : tensor<?x3xf32>
      // CHECK: attn.yield %{{.*}} : f32
      attn.yield %v : f32
    }
    attn.yield %s : f32
  }
  return %e : tensor<?x?xf32>
}
