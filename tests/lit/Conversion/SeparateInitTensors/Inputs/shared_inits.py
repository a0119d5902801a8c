"""Functions whose linalg ops all write into one tensor.empty (or one fill of
one), as CSE leaves them, or all read one view of an argument:
attnc-separate-init-tensors' test input."""


def function(name, uses, fill):
    print(f"func.func @{name}(%x: tensor<4xf32>) {{")
    print("  %e = tensor.empty() : tensor<4xf32>")
    init = "%e"
    if fill:
        print("  %zero = arith.constant 0.0 : f32")
        print("  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>")
        init = "%f"
    for k in range(uses):
        print(f"  %r{k} = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) "
              f"outs({init} : tensor<4xf32>) -> tensor<4xf32>")
    print("  return\n}")


function("empty_with_70_uses", 70, fill=False)
function("fill_with_33_uses", 33, fill=True)
function("empty_with_3_uses", 3, fill=False)


def views(name, uses, writable):
    """`uses` ops reading one to_tensor of the argument %m."""
    mark = " writable" if writable else ""
    print(f"func.func @{name}(%m: memref<4xf32>, %out: tensor<4xf32>) {{")
    print(f"  %x = bufferization.to_tensor %m restrict{mark} : memref<4xf32>")
    for k in range(uses):
        print(f"  %r{k} = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) "
              f"outs(%out : tensor<4xf32>) -> tensor<4xf32>")
    print("  return\n}")


views("view_with_40_uses", 40, writable=False)
views("writable_view_with_40_uses", 40, writable=True)
