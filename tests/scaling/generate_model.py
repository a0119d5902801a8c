#!/usr/bin/env python3
"""Writes a model of a given family and size to standard output: the models
of tests/scaling/compile_scaling.py and of lit's Driver/large-models.test.

    generate_model.py FAMILY SIZE

Families (SIZE is the N of each):
    inputs    N inputs, one of them used
    outputs   N outputs of one input
    softmax   N nested softmax calls
    lets      N chained lets a_k = softmax(a_{k-1}) + a_{k-1}
    shared    N chained lets that each use the previous one twice, in a score
    layers    N attention layers with a projection each, symbolic S
    models    N models in one file
"""
import sys


def inputs(n):
    yield "model m {"
    for i in range(n):
        yield f"  input x{i}: f32[4]"
    yield "  output y = x0 * 2"
    yield "}"


def outputs(n):
    yield "model m {"
    yield "  input x: f32[4]"
    for i in range(n):
        yield f"  output y{i} = x * {i + 1}"
    yield "}"


def softmax(n):
    expr = "x"
    for _ in range(n):
        expr = f"softmax({expr})"
    yield "model m {"
    yield "  input x: f32[8]"
    yield f"  output y = {expr}"
    yield "}"


def lets(n):
    yield "model m {"
    yield "  input x: f32[8]"
    yield "  let a0 = x"
    for k in range(1, n + 1):
        yield f"  let a{k} = softmax(a{k - 1}) + a{k - 1}"
    yield f"  output y = a{n}"
    yield "}"


def shared(n):
    yield "model m {"
    yield "  dim S, D = 8"
    yield "  input q: f32[S, D]"
    yield "  input k: f32[S, D]"
    yield "  let a0 = q @ k.T"
    for i in range(1, n + 1):
        yield f"  let a{i} = a{i - 1} * 0.5 + a{i - 1} * 0.25"
    yield f"  output y = softmax(a{n}) @ k"
    yield "}"


def layers(n):
    yield "model m {"
    yield "  dim S, D = 16"
    yield "  input x: f32[S, D]"
    yield "  input w: f32[D, D]"
    yield "  let a0 = x"
    for i in range(1, n + 1):
        p = f"a{i - 1}"
        yield (f"  let a{i} = softmax({p} @ {p}.T / 4) @ {p} + ({p} @ w) * 0.05"
               f" + sum(softmax({p})) / S")
    yield f"  output y = a{n}"
    yield "}"


def models(n):
    for i in range(n):
        yield f"model m{i} {{"
        yield "  input x: f32[4]"
        yield f"  output y = x * {i + 1}"
        yield "}"


FAMILIES = {f.__name__: f for f in (inputs, outputs, softmax, lets, shared, layers, models)}


def model(family, n):
    return "\n".join(FAMILIES[family](n)) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in FAMILIES:
        sys.exit(f"usage: generate_model.py {{{','.join(FAMILIES)}}} SIZE")
    sys.stdout.write(model(sys.argv[1], int(sys.argv[2])))
