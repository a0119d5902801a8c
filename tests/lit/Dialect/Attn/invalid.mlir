// RUN: attnc-opt %s -split-input-file -verify-diagnostics

func.func @scalar_operands_tensor_result(%a: f32) {
  // expected-error @+1 {{has only scalar operands but a tensor result}}
  %0 = attn.exp %a : f32 -> tensor<4xf32>
  return
}

// -----

func.func @tensor_operand_scalar_result(%a: tensor<4xf32>) {
  // expected-error @+1 {{has a tensor operand but a scalar result}}
  %0 = attn.exp %a : tensor<4xf32> -> f32
  return
}

// -----

func.func @broadcast_rank(%a: tensor<4xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{result rank 1 differs from the broadcast rank 2}}
  %0 = attn.add %a, %b : tensor<4xf32>, tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @no_broadcast(%a: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 of type 'tensor<3xf32>' does not broadcast to 'tensor<4xf32>'}}
  %0 = attn.add %a, %b : tensor<3xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @convert_kind(%a: tensor<4xi32>) {
  // expected-error @+1 {{converts between a tensor and a scalar}}
  %0 = attn.convert %a : tensor<4xi32> -> f32
  return
}

// -----

func.func @convert_shape(%a: tensor<4xi32>) {
  // expected-error @+1 {{changes the shape from 'tensor<4xi32>' to 'tensor<5xf32>'}}
  %0 = attn.convert %a : tensor<4xi32> -> tensor<5xf32>
  return
}

// -----

func.func @matmul_rank0(%a: tensor<f32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operands must have rank 1 or more}}
  %0 = attn.matmul %a, %b : tensor<f32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{contracted extents differ (3 vs 4)}}
  %0 = attn.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{result rank 2 should be 1}}
  %0 = attn.matmul %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @matmul_rows(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{result rows differ from the left operand's}}
  %0 = attn.matmul %a, %b : tensor<2x3xf32>, tensor<3x5xf32> -> tensor<7x5xf32>
  return
}

// -----

func.func @matmul_columns(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{result columns differ from the right operand's}}
  %0 = attn.matmul %a, %b : tensor<2x3xf32>, tensor<3x5xf32> -> tensor<2x7xf32>
  return
}

// -----

func.func @transpose_entries(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{permutation has 1 entries for rank 2}}
  %0 = attn.transpose %a [0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_not_permutation(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{is not given a permutation}}
  %0 = attn.transpose %a [1, 1] : tensor<2x3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @transpose_extent(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{result axis 0 differs from operand axis 1}}
  %0 = attn.transpose %a [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = attn.softmax %a axis = 2 : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @softmax_type(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{result type must equal the operand type}}
  %0 = attn.softmax %a axis = 1 : tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @reduce_axes(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axes must be increasing and within rank 2}}
  %0 = attn.reduce sum %a [1, 0] : tensor<2x3xf32> -> tensor<f32>
  return
}

// -----

func.func @reduce_rank(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{result rank 2 should be 1}}
  %0 = attn.reduce max %a [1] : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @layernorm_type(%a: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{result type must equal the operand type}}
  %0 = attn.layernorm %a, %g, %g eps = 1.0e-5 : tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @layernorm_rank(%a: tensor<f32>, %g: tensor<f32>) {
  // expected-error @+1 {{needs an operand of rank 1 or more}}
  %0 = attn.layernorm %a, %g, %g eps = 1.0e-5 : tensor<f32>, tensor<f32>, tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @rmsnorm_type(%a: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{result type must equal the operand type}}
  %0 = attn.rmsnorm %a, %g eps = 1.0e-6 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @heads_rank(%a: tensor<8xf32>, %h: index) {
  // expected-error @+1 {{needs an operand of rank 2 or more}}
  %0 = attn.heads %a, %h : tensor<8xf32>, index -> tensor<2x1x4xf32>
  return
}

// -----

func.func @heads_result(%a: tensor<3x8xf32>, %h: index) {
  // expected-error @+1 {{result rank must be the operand rank + 1}}
  %0 = attn.heads %a, %h : tensor<3x8xf32>, index -> tensor<3x8xf32>
  return
}

// -----

func.func @unheads_rank(%a: tensor<3x8xf32>) {
  // expected-error @+1 {{needs an operand of rank 3 or more}}
  %0 = attn.unheads %a : tensor<3x8xf32> -> tensor<24xf32>
  return
}

// -----

func.func @unheads_result(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{result rank must be the operand rank - 1}}
  %0 = attn.unheads %a : tensor<2x3x4xf32> -> tensor<24xf32>
  return
}

// -----

func.func @reshape_extents(%a: tensor<2x3xf32>, %n: index) {
  // expected-error @+1 {{has 1 extents for a result of rank 2}}
  %0 = attn.reshape %a to [%n] : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{operands and result must have the same rank}}
  %0 = attn.concat %a, %b axis = 0 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = attn.concat %a, %a axis = 2 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @concat_other_axis(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{axis 1 differs between tensor<2x3xf32> and tensor<2x4xf32>}}
  %0 = attn.concat %a, %b axis = 0 : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_extent(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+1 {{axis 0 of the result must be 5 (2 + 3), not tensor<6x3xf32>}}
  %0 = attn.concat %a, %b axis = 0 : tensor<2x3xf32>, tensor<3x3xf32> -> tensor<6x3xf32>
  return
}

// -----

func.func @topk_type(%a: tensor<2x3xf32>, %k: index) {
  // expected-error @+1 {{result type must equal the operand type}}
  %0 = attn.topk_mask %a, %k : tensor<2x3xf32>, index -> tensor<2x4xf32>
  return
}

// -----

func.func @comprehension_extents(%n: index) {
  // expected-error @+1 {{has 1 extents for a result of rank 2}}
  %0 = attn.comprehension [%n] : tensor<?x?xf32> {
  ^bb0(%i: index):
    %c = arith.constant 0.0 : f32
    attn.yield %c : f32
  }
  return
}

// -----

func.func @comprehension_arguments(%n: index) {
  // expected-error @+1 {{body has 2 arguments for 1 extents}}
  %0 = attn.comprehension [%n] : tensor<?xf32> {
  ^bb0(%i: index, %j: index):
    %c = arith.constant 0.0 : f32
    attn.yield %c : f32
  }
  return
}

// -----

func.func @comprehension_argument_type(%n: index) {
  // expected-error @+1 {{body arguments must be of type index}}
  %0 = attn.comprehension [%n] : tensor<?xf32> {
  ^bb0(%i: i64):
    %c = arith.constant 0.0 : f32
    attn.yield %c : f32
  }
  return
}

// -----

func.func @comprehension_yield(%n: index) {
  // expected-error @+1 {{body yields 'i1' but the element type is 'f32'}}
  %0 = attn.comprehension [%n] : tensor<?xf32> {
  ^bb0(%i: index):
    %c = arith.constant true
    attn.yield %c : i1
  }
  return
}

// -----

func.func @index_reduce_extents() {
  // expected-error @+1 {{needs at least one extent}}
  %0 = attn.index_reduce sum [] : f32 {
  ^bb0:
    %c = arith.constant 0.0 : f32
    attn.yield %c : f32
  }
  return
}

// -----

func.func @read_indices(%a: tensor<2x3xf32>, %i: index) {
  // expected-error @+1 {{has 1 indices for a tensor of rank 2}}
  %0 = attn.read %a[%i] : tensor<2x3xf32>
  return
}

// -----

// A misspelt schedule key is an error where it is written, not a block of 0.
func.func @misspelt_key(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  // expected-error @+1 {{duplicate or unknown struct parameter name: blcok_k}}
  %o = attn.attention [%b, %s, %t, %c32] {schedule = #attn.schedule<blcok_k = 64, block_q = 64>} : tensor<?x?x32xf32> score {
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

func.func @zero_block(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  // expected-error @+1 {{schedule: key block 0 is not in 1..1024}}
  %o = attn.attention [%b, %s, %t, %c32] {schedule = #attn.schedule<block_k = 0>} : tensor<?x?x32xf32> score {
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

func.func @bad_width(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  // expected-error @+1 {{schedule: vector width 12 is not 4, 8, 16 or 32}}
  %o = attn.attention [%b, %s, %t, %c32] {schedule = #attn.schedule<vector_width = 12>} : tensor<?x?x32xf32> score {
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

func.func @too_many_rows(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  // expected-error @+1 {{schedule: tile rows 17 is not in 1..16}}
  %o = attn.attention [%b, %s, %t, %c32] {schedule = #attn.schedule<tile_rows = 17>} : tensor<?x?x32xf32> score {
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

func.func @not_an_integer(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  // expected-error @+2 {{expected integer value}}
  // expected-error @+1 {{failed to parse Attn_ScheduleAttr parameter 'block_q' which is to be a `std::optional<int64_t>`}}
  %o = attn.attention [%b, %s, %t, %c32] {schedule = #attn.schedule<block_q = 2.0>} : tensor<?x?x32xf32> score {
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

// The lowering's default width (16 lanes) applies when the schedule has none.
func.func @query_block_and_width(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  // expected-error @+1 {{schedule: query block 48 is not a multiple of 32 (two vectors of 16 lanes)}}
  %o = attn.attention [%b, %s, %t, %c32] {schedule = #attn.schedule<block_q = 48>} : tensor<?x?x32xf32> score {
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

// The model's schedule on a function: values are checked, the pair of
// query block and vector width only when both are given.
// expected-error @+1 {{schedule: thread count 5000 is not in 1..4096}}
func.func @model_threads() attributes {attn.schedule = #attn.schedule<threads = 5000>} {
  return
}

// -----

func.func @model_block_alone() attributes {attn.schedule = #attn.schedule<block_q = 48>} {
  return
}

// -----

// expected-error @+1 {{schedule: query block 48 is not a multiple of 32 (two vectors of 16 lanes)}}
func.func @model_block_and_width() attributes {attn.schedule = #attn.schedule<block_q = 48, vector_width = 16>} {
  return
}

// -----

// expected-error @+1 {{unknown attn attribute 'attn.shedule'}}
func.func @misspelt_attribute() attributes {attn.shedule = {block_q = 64 : i64}} {
  return
}

// -----

// expected-error @+1 {{'attn.model' is a unit attribute of a function}}
func.func @model_with_a_value() attributes {attn.model = "sdpa"} {
  return
}

// -----

// Written out, a number is checked like any value: 0 threads is not "every core".
// expected-error @+1 {{schedule: thread count 0 is not in 1..4096}}
func.func @explicit_zero_threads() attributes {attn.schedule = #attn.schedule<threads = 0>} {
  return
}

// -----

// expected-error @+1 {{schedule: the split factor of axis 'i' must be a positive integer}}
func.func @zero_split() attributes {attn.schedule = #attn.schedule<split = {i = 0 : i64}>} {
  return
}

// -----

// expected-error @+1 {{schedule: the GPU thread count of axis 'x' must be a positive integer}}
func.func @gpu_threads_not_a_count() attributes {attn.schedule = #attn.schedule<gpu_threads = {x = "many"}>} {
  return
}

// -----

// expected-error @+1 {{schedule: warps 0 is not positive}}
func.func @zero_warps() attributes {attn.schedule = #attn.schedule<warps = 0>} {
  return
}

// -----

// expected-error @+1 {{schedule: parallel must be a list of axis names}}
func.func @parallel_numbers() attributes {attn.schedule = #attn.schedule<parallel = [1, 2]>} {
  return
}

// -----

// expected-error @+1 {{'attn.schedule' is an #attn.schedule of a function}}
func.func @schedule_dictionary() attributes {attn.schedule = {block_q = 64 : i64}} {
  return
}

// -----

func.func @unnormalized_topk(%v: tensor<?x?x32xf32>, %b: index, %s: index, %t: index) -> tensor<?x?x32xf32> {
  %c32 = arith.constant 32 : index
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{takes topk only with its softmax, not unnormalized}}
  %o = attn.attention [%b, %s, %t, %c32] topk(%c4) unnormalized : tensor<?x?x32xf32> score {
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
