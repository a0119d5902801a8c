// RUN: attnc-opt %s --attnc-cpu-float-min-max-to-llvm | FileCheck %s

// f32 maximumf/minimumf, scalar or vector, become LLVM's NaN-propagating
// intrinsics; other element types are left to arith-expand.
// CHECK-LABEL: func @min_max
//       CHECK: llvm.intr.maximum(%{{.*}}, %{{.*}}) : (f32, f32) -> f32
//       CHECK: llvm.intr.minimum(%{{.*}}, %{{.*}}) : (vector<16xf32>, vector<16xf32>) -> vector<16xf32>
//       CHECK: arith.maximumf %{{.*}}, %{{.*}} : f64
//   CHECK-NOT: arith.minimumf
func.func @min_max(%a: f32, %b: f32, %u: vector<16xf32>, %v: vector<16xf32>, %x: f64, %y: f64)
    -> (f32, vector<16xf32>, f64) {
  %0 = arith.maximumf %a, %b : f32
  %1 = arith.minimumf %u, %v : vector<16xf32>
  %2 = arith.maximumf %x, %y : f64
  return %0, %1, %2 : f32, vector<16xf32>, f64
}
