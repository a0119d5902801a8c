"""Functions of more than 512 operations, and smaller ones:
attnc-split-large-functions' test input."""


def chain(first, count, indent, stack_at=None):
    """`count` additions, %x<first+1> ... on from %x<first>; a stack buffer
    written at addition `stack_at` is read 100 additions later."""
    for k in range(first + 1, first + count + 1):
        print(f"{indent}%x{k} = arith.addf %x{k - 1}, %one : f32")
        if k == stack_at:
            print(f"{indent}%slot = memref.alloca() : memref<1xf32>")
            print(f"{indent}memref.store %x{k}, %slot[%c0] : memref<1xf32>")
        if stack_at and k == stack_at + 100:
            print(f"{indent}%back = memref.load %slot[%c0] : memref<1xf32>")
            print(f"{indent}memref.store %back, %buf[%c0] : memref<8xf32>")
    return first + count


def function(name, count, body="plain"):
    print(f"func.func @{name}(%buf: memref<8xf32>, %flag: i1, %n: index) {{")
    print("  %c0 = arith.constant 0 : index")
    print("  %c1 = arith.constant 1 : index")
    print("  %one = arith.constant 1.0 : f32")
    print("  %x0 = memref.load %buf[%c0] : memref<8xf32>")
    indent = "  "
    if body == "if":
        print("  scf.if %flag {")
        indent = "    "
    elif body == "loop":
        print("  scf.for %i = %c0 to %n step %c1 {")
        indent = "    "
    last = chain(0, count, indent, stack_at=100 if body == "plain" else None)
    print(f"{indent}memref.store %x{last}, %buf[%c0] : memref<8xf32>")
    if body != "plain":
        print("  }")
    print("  return\n}")


function("large", 3000)
function("guarded", 3000, body="if")
function("in_loop", 3000, body="loop")
function("small", 10)
