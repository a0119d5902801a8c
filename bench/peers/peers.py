#!/usr/bin/env python3
"""Whole models in attnc and in the peers users would pick, timed in one run.

Each case is one model of examples/ or bench/models/ at a realistic size. attnc
compiles it at -O2 into a shared library, called through its generic
NAME_run_tensors entry with a reused workspace; PyTorch runs the same model as
an eager module with the same weights (torch.nn layers and
scaled_dot_product_attention, as its users write it); ONNX Runtime and
OpenVINO run the graph exported from that module. Every peer gets the same
thread count. The peers are timed in turns (a batch of calls each, round after
round), so that a change in the machine's speed reaches all of them alike, and
each peer's output is checked against attnc's.

Run it through `scripts/bench.sh --peers`, which makes the venv with the peers;
a peer that is not installed is reported as missing. docs/performance.md says
how to read the report.
"""

import argparse
import contextlib
import ctypes
import fnmatch
import io
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------
# attnc through ctypes
# --------------------------------------------------------------------------

class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.c_void_p)]


class Exec(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("num_threads", ctypes.c_int32),
                ("stream", ctypes.c_void_p), ("workspace", ctypes.c_void_p),
                ("workspace_bytes", ctypes.c_size_t)]


class AttncModel:
    """One model compiled by attnc -O2 into a shared library."""

    def __init__(self, attnc: Path, runtime: Path, source: Path, name: str, work: Path,
                 model: str = "", flags: tuple = ()):
        obj = work / f"{name}.o"
        lib = work / f"lib{name}.so"
        subprocess.run([str(attnc), "-O2", *flags, str(source), f"--name={name}", "-o", str(obj)],
                       check=True)
        if model:  # a file of several models: NAME_MODEL_run_tensors
            name = f"{name}_{model}"
        subprocess.run(["cc", "-shared", "-o", str(lib), str(obj), "-Wl,--whole-archive",
                        str(runtime), "-Wl,--no-whole-archive", "-lpthread", "-lm", "-ldl"],
                       check=True)
        self.lib = ctypes.CDLL(str(lib))
        self.name = name
        manifest = getattr(self.lib, f"{name}_manifest_json")
        manifest.restype = ctypes.c_char_p
        self.manifest = json.loads(manifest())
        # The C types, so that counts travel as size_t, not as int.
        tensors = ctypes.POINTER(Tensor)
        self.run_tensors = getattr(self.lib, f"{name}_run_tensors")
        self.run_tensors.argtypes = [tensors, ctypes.c_size_t, tensors, ctypes.c_size_t,
                                     tensors, ctypes.c_size_t, ctypes.POINTER(Exec)]
        self.run_tensors.restype = ctypes.c_int
        self.workspace_bytes = getattr(self.lib, f"{name}_workspace_bytes")
        self.workspace_bytes.argtypes = [ctypes.c_void_p]
        self.workspace_bytes.restype = ctypes.c_size_t
        self.last_error = self.lib.attnc_last_error
        self.last_error.restype = ctypes.c_char_p

    def bind(self, dims: dict, inputs: dict, params: dict, threads: int) -> Callable[[], None]:
        """A call of the model on these arrays, its outputs kept in self.outputs."""
        m = self.manifest
        keep = []  # everything ctypes points at lives as long as the call

        def tensors(specs, arrays):
            out = (Tensor * max(len(specs), 1))()
            for t, spec in zip(out, specs):
                a = arrays[spec["name"]]
                assert a.dtype == np.float32 and a.flags["C_CONTIGUOUS"], spec["name"]
                shape = (ctypes.c_int64 * a.ndim)(*a.shape)
                keep.append(shape)
                t.data, t.dtype, t.rank, t.shape = a.ctypes.data, 0, a.ndim, shape
            return out, len(specs)

        def extent(e):
            return dims[e] if isinstance(e, str) else e

        self.outputs = {o["name"]: np.zeros([extent(e) for e in o["shape"]], np.float32)
                        for o in m["outputs"]}
        ins, outs, prms = (tensors(m["inputs"], inputs), tensors(m["outputs"], self.outputs),
                           tensors(m["params"], params))
        symbolic = [dims[d["name"]] for d in m["dims"] if d["value"] == "symbolic"]
        dims_struct = (ctypes.c_int64 * max(len(symbolic), 1))(*symbolic)
        nbytes = self.workspace_bytes(dims_struct)
        workspace = np.empty(max(nbytes, 1), np.uint8)
        ex = Exec(ctypes.sizeof(Exec), threads, None, workspace.ctypes.data, workspace.nbytes)
        keep += [ins, outs, prms, dims_struct, workspace, ex]
        self.workspace_mib = nbytes / 2**20
        run, error = self.run_tensors, self.last_error

        def call():
            if run(ins[0], ins[1], prms[0], prms[1], outs[0], outs[1], ctypes.byref(ex)) != 0:
                raise RuntimeError(f"attnc: {error().decode()}")
        call.keep = keep
        return call


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    title: str
    source: str          # the .attn file, relative to the project root
    dims: dict           # every symbolic dim's value
    inputs: dict         # name -> shape
    params: dict         # name -> (shape, scale): normal(0, 1) * scale; scale None = ones
    flops: float
    torch_module: Callable  # (torch, params) -> an nn.Module taking the inputs in order
    output: str = "y"
    model: str = ""      # the model, in a file of several
    onnx: bool = True    # also ONNX Runtime and OpenVINO on the exported graph
    tolerance: float = 1e-3  # max |peer - attnc| <= tolerance * (max |attnc| + 1)


def encoder_module(torch, p):
    """nn.TransformerEncoderLayer: post-norm, exact GELU, what BERT uses."""
    E, F = p["wq"].shape[0], p["w1"].shape[1]
    layer = torch.nn.TransformerEncoderLayer(E, 12, F, dropout=0.0, activation="gelu",
                                             batch_first=True, norm_first=False)
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    sa = layer.self_attn
    sa.in_proj_weight.data = t(np.concatenate([p["wq"].T, p["wk"].T, p["wv"].T]))
    sa.in_proj_bias.data = t(np.concatenate([p["bq"], p["bk"], p["bv"]]))
    sa.out_proj.weight.data, sa.out_proj.bias.data = t(p["wo"].T), t(p["bo"])
    layer.linear1.weight.data, layer.linear1.bias.data = t(p["w1"].T), t(p["b1"])
    layer.linear2.weight.data, layer.linear2.bias.data = t(p["w2"].T), t(p["b2"])
    layer.norm1.weight.data, layer.norm1.bias.data = t(p["ln1_gamma"]), t(p["ln1_beta"])
    layer.norm2.weight.data, layer.norm2.bias.data = t(p["ln2_gamma"]), t(p["ln2_beta"])
    return layer


def linear(torch, w):
    """nn.Linear without bias computing x @ w (attnc's weight layout)."""
    lin = torch.nn.Linear(w.shape[0], w.shape[1], bias=False)
    lin.weight.data = torch.from_numpy(np.ascontiguousarray(w.T))
    return lin


def mha_module(torch, p, heads=12):
    F = torch.nn.functional

    class CausalSelfAttention(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.o = (linear(torch, p[n]) for n in ("wq", "wk", "wv", "wo"))

        def forward(self, x):
            B, S, E = x.shape
            split = lambda t: t.view(B, S, heads, E // heads).transpose(1, 2)
            y = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)),
                                               split(self.v(x)), is_causal=True)
            return self.o(y.transpose(1, 2).reshape(B, S, E))
    return CausalSelfAttention()


def decode_module(torch, p, heads=12):
    F = torch.nn.functional

    class DecodeStep(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.o = linear(torch, p["wq"]), linear(torch, p["wo"])

        def forward(self, x, k_cache, v_cache):
            B, S, E = x.shape
            q = self.q(x).view(B, S, heads, E // heads).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k_cache, v_cache)
            return self.o(y.transpose(1, 2).reshape(B, S, E))
    return DecodeStep()


def mlp(torch, p, w0, b0, w1, b1):
    """The bottleneck C -> C / R -> C of SENet and CBAM as nn.Sequential."""
    first = torch.nn.Linear(*p[w0].shape)
    second = torch.nn.Linear(*p[w1].shape)
    for lin, w, b in ((first, w0, b0), (second, w1, b1)):
        lin.weight.data = torch.from_numpy(np.ascontiguousarray(p[w].T))
        lin.bias.data = torch.from_numpy(p[b])
    return torch.nn.Sequential(first, torch.nn.ReLU(), second)


def senet_module(torch, p):
    class SqueezeExcite(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.excite = mlp(torch, p, "w1", "b1", "w2", "b2")

        def forward(self, x):
            gate = torch.sigmoid(self.excite(x.mean(dim=(2, 3))))
            return x * gate[:, :, None, None]
    return SqueezeExcite()


def cbam_module(torch, p):
    class CBAM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mlp = mlp(torch, p, "w0", "b0", "w1", "b1")
            self.conv = torch.nn.Conv2d(2, 1, 7, padding=3, bias=False)
            self.conv.weight.data = torch.from_numpy(p["kernel"][None])

        def forward(self, x):
            gate_c = torch.sigmoid(self.mlp(x.mean(dim=(2, 3))) + self.mlp(x.amax(dim=(2, 3))))
            fc = x * gate_c[:, :, None, None]
            pooled = torch.cat([fc.mean(dim=1, keepdim=True), fc.amax(dim=1, keepdim=True)], 1)
            return fc * torch.sigmoid(self.conv(pooled))
    return CBAM()


# The other examples, at sizes of their kind, against PyTorch written the
# way its users write them (no ONNX peers where the export is not the point).

def sdpa_module(torch, p):
    class SDPA(torch.nn.Module):
        def forward(self, q, k, v):
            return torch.nn.functional.scaled_dot_product_attention(q, k, v)
    return SDPA()


def gqa_module(torch, p, heads=8, window=16):
    class GroupedWindowedALiBi(torch.nn.Module):
        """scaled_dot_product_attention with the ALiBi bias and the window as
        a float mask, and its grouped-query mode."""
        def forward(self, q, k, v):
            S = q.shape[2]
            slope = 2.0 ** (-8.0 * torch.arange(1, heads + 1) / heads)
            i = torch.arange(S)[:, None]
            j = torch.arange(S)[None, :]
            bias = slope[:, None, None] * (j - i)
            bias = bias.masked_fill(~((j <= i) & (i - j < window)), float("-inf"))
            return torch.nn.functional.scaled_dot_product_attention(
                q, k, v, attn_mask=bias, enable_gqa=True)
    return GroupedWindowedALiBi()


def additive_module(torch, p):
    class Additive(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k = linear(torch, p["w_q"]), linear(torch, p["w_k"])
            self.w_v = torch.from_numpy(p["w_v"])

        def forward(self, q, k, v):
            feats = torch.tanh(self.q(q)[:, :, None, :] + self.k(k)[:, None, :, :])
            return torch.softmax(feats @ self.w_v, -1) @ v
    return Additive()


def nadaraya_watson_module(torch, p):
    class NadarayaWatson(torch.nn.Module):
        def forward(self, x, xs, ys):
            score = -((x[:, :, None, :] - xs[:, None, :, :]) ** 2).sum(-1) / 2
            return (torch.softmax(score, -1) @ ys[:, :, None])[:, :, 0]
    return NadarayaWatson()


def luong_dot_module(torch, p):
    class LuongDot(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c = linear(torch, p["w_c"])

        def forward(self, h, enc):
            align = torch.softmax((enc @ h[:, :, None])[:, :, 0], -1)
            context = (align[:, None, :] @ enc)[:, 0, :]
            return torch.tanh(self.c(torch.cat([context, h], 1)))
    return LuongDot()


def hard_attention_module(torch, p):
    class HardAttention(torch.nn.Module):
        def forward(self, q, k, v):
            score = q @ k.transpose(-1, -2)
            best = score.topk(1, -1).indices
            kept = torch.full_like(score, float("-inf")).scatter(-1, best, score.gather(-1, best))
            return torch.softmax(kept, -1) @ v
    return HardAttention()


def attention_pooling_module(torch, p):
    class AttentionPooling(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.from_numpy(p["w"])

        def forward(self, x, xs, ys):
            score = -((x[:, None] - xs[None, :]) * self.w) ** 2 / 2
            return torch.softmax(score, -1) @ ys
    return AttentionPooling()


def draw_module(torch, p, N=12):
    class DrawGlimpse(torch.nn.Module):
        """The DRAW read: Gaussian filter banks along each axis, then
        F_y img F_x^T."""
        def forward(self, img, cx, cy, log_stride, log_var, log_gamma):
            H, W = img.shape[1], img.shape[2]
            stride = (max(H, W) - 1.0) / (N - 1) * torch.exp(log_stride)
            var = torch.exp(log_var)[:, None, None]
            offsets = torch.arange(N) - (N - 1) / 2.0
            mu_x = ((W - 1) / 2.0 * (cx + 1))[:, None] + offsets * stride[:, None]
            mu_y = ((H - 1) / 2.0 * (cy + 1))[:, None] + offsets * stride[:, None]
            kx = torch.exp(-(torch.arange(W) - mu_x[:, :, None]) ** 2 / (2 * var))
            ky = torch.exp(-(torch.arange(H) - mu_y[:, :, None]) ** 2 / (2 * var))
            fx = kx / kx.sum(-1, keepdim=True).clamp(min=1e-8)
            fy = ky / ky.sum(-1, keepdim=True).clamp(min=1e-8)
            return torch.exp(log_gamma)[:, None, None] * (fy @ img @ fx.transpose(1, 2))
    return DrawGlimpse()


def example_cases():
    w = lambda fan_in: 1 / math.sqrt(fan_in)
    B, H, S, D = 1, 12, 1024, 64
    qkv = {"q": (B, H, S, D), "k": (B, H, S, D), "v": (B, H, S, D)}
    yield Case("sdpa", f"examples/sdpa.attn, B = {B}, H = {H}, S = T = {S}, D = {D}",
               "examples/sdpa.attn", {"B": B, "H": H, "S": S, "T": S}, qkv, {},
               4.0 * B * H * S * S * D, sdpa_module, output="o", model="sdpa", onnx=False)
    B, S, H, G, D = 1, 1024, 8, 4, 32
    yield Case("gqa", f"examples/gqa.attn (ALiBi, causal window 16), B = {B}, S = {S}",
               "examples/gqa.attn", {"B": B, "S": S},
               {"q": (B, H, S, D), "k": (B, H // G, S, D), "v": (B, H // G, S, D)}, {},
               4.0 * B * H * S * 16 * D, gqa_module, output="o", onnx=False)
    B, S, T, A = 4, 128, 128, 64
    yield Case("additive", f"examples/additive.attn (Bahdanau), B = {B}, S = T = {S}",
               "examples/additive.attn", {"B": B, "S": S, "T": T},
               {"q": (B, S, 32), "k": (B, T, 48), "v": (B, T, 40)},
               {"w_q": ((32, A), w(32)), "w_k": ((48, A), w(48)), "w_v": ((A,), w(A))},
               2.0 * B * S * T * A + 2.0 * B * S * T * 40, additive_module, output="o",
               model="additive", onnx=False)
    B, Q, N = 8, 1024, 1024
    yield Case("nadaraya_watson", f"examples/nadaraya_watson.attn, B = {B}, Q = N = {Q}",
               "examples/nadaraya_watson.attn", {"B": B, "Q": Q, "N": N},
               {"x": (B, Q, 4), "xs": (B, N, 4), "ys": (B, N)}, {},
               B * Q * N * (3.0 * 4 + 2), nadaraya_watson_module, output="f", onnx=False)
    B, T, E = 64, 256, 64
    yield Case("luong_dot", f"examples/luong.attn (dot score), B = {B}, T = {T}",
               "examples/luong.attn", {"B": B, "T": T}, {"h": (B, E), "enc": (B, T, E)},
               {"w_c": ((2 * E, E), w(2 * E))}, 4.0 * B * T * E + 2.0 * B * 2 * E * E,
               luong_dot_module, output="h_tilde", model="luong_dot", onnx=False)
    B, S, D = 8, 256, 64
    yield Case("hard_attention", f"examples/hard_attention.attn (top-1), B = {B}, S = T = {S}",
               "examples/hard_attention.attn", {"B": B, "S": S, "T": S},
               {"q": (B, S, D), "k": (B, S, D), "v": (B, S, D)}, {},
               4.0 * B * S * S * D, hard_attention_module, output="o", model="hard_attention",
               onnx=False)
    Q = N = 4096
    yield Case("attention_pooling", f"examples/attention_pooling.attn, Q = N = {Q}",
               "examples/attention_pooling.attn", {"Q": Q, "N": N},
               {"x": (Q,), "xs": (N,), "ys": (N,)}, {"w": ((), 1.0)}, 7.0 * Q * N,
               attention_pooling_module, output="f", onnx=False)
    B, Hi, Wi = 64, 128, 128
    yield Case("draw", f"examples/draw.attn (12 x 12 glimpses), B = {B}, {Hi} x {Wi}",
               "examples/draw.attn", {"B": B, "H": Hi, "W": Wi},
               {"img": (B, Hi, Wi), "cx": (B,), "cy": (B,), "log_stride": (B,),
                "log_var": (B,), "log_gamma": (B,)}, {},
               2.0 * B * 12 * Hi * Wi + 2.0 * B * 12 * 12 * Wi, draw_module, output="glimpse",
               onnx=False)


def cases():
    B, S, E, H, F = 8, 128, 384, 12, 1536
    w = lambda fan_in: 1 / math.sqrt(fan_in)
    encoder = Case(
        "encoder", f"encoder layer (E = {E}, H = {H}, F = {F}), B = {B}, S = {S}",
        "bench/models/encoder_layer.attn", {"B": B, "S": S}, {"x": (B, S, E)},
        {"wq": ((E, E), w(E)), "bq": ((E,), 0.1), "wk": ((E, E), w(E)), "bk": ((E,), 0.1),
         "wv": ((E, E), w(E)), "bv": ((E,), 0.1), "wo": ((E, E), w(E)), "bo": ((E,), 0.1),
         "ln1_gamma": ((E,), None), "ln1_beta": ((E,), 0.1), "w1": ((E, F), w(E)),
         "b1": ((F,), 0.1), "w2": ((F, E), w(F)), "b2": ((E,), 0.1),
         "ln2_gamma": ((E,), None), "ln2_beta": ((E,), 0.1)},
        2.0 * B * S * (4 * E * E + 2 * E * F) + 4.0 * B * S * S * E, encoder_module)
    S, E = 512, 768
    mha = Case(
        "mha_causal", f"causal multi-head attention with projections (E = {E}, H = {H}), S = {S}",
        "bench/models/mha_causal.attn", {"B": 1, "S": S}, {"x": (1, S, E)},
        {n: ((E, E), w(E)) for n in ("wq", "wk", "wv", "wo")},
        2.0 * S * 4 * E * E + 2.0 * S * S * E, mha_module)
    T, D = 1024, E // H
    decode = Case(
        "decode_step", f"decode step: S = 1 against T = {T} cached keys (E = {E}, H = {H})",
        "bench/models/decode_step.attn", {"B": 1, "S": 1, "T": T},
        {"x": (1, 1, E), "k_cache": (1, H, T, D), "v_cache": (1, H, T, D)},
        {"wq": ((E, E), w(E)), "wo": ((E, E), w(E))},
        2.0 * 2 * E * E + 4.0 * T * E, decode_module)
    N, C, Hi, Wi, R = 8, 64, 56, 56, 16
    image = {"N": N, "H": Hi, "W": Wi}
    senet = Case(
        "senet", f"SENet block, N = {N}, C = {C}, {Hi} x {Wi}", "examples/senet.attn", image,
        {"x": (N, C, Hi, Wi)},
        {"w1": ((C, C // R), w(C)), "b1": ((C // R,), 0.1), "w2": ((C // R, C), w(C // R)),
         "b2": ((C,), 0.1)},
        2.0 * N * C * Hi * Wi, senet_module)
    cbam = Case(
        "cbam", f"CBAM block, N = {N}, C = {C}, {Hi} x {Wi}", "examples/cbam.attn", image,
        {"fmap": (N, C, Hi, Wi)},
        {"w0": ((C, C // R), w(C)), "b0": ((C // R,), 0.1), "w1": ((C // R, C), w(C // R)),
         "b1": ((C,), 0.1), "kernel": ((2, 7, 7), w(98))},
        N * Hi * Wi * (6.0 * C + 2 * 98 + 4), cbam_module, output="out")
    return [encoder, mha, decode, senet, cbam, *example_cases()]


# --------------------------------------------------------------------------
# The peers
# --------------------------------------------------------------------------

def import_or_none(name):
    try:
        return __import__(name)
    except Exception as e:  # a broken install is as good as none
        print(f"  ({name} not usable: {type(e).__name__}: {e})")
        return None


def export_onnx(torch, module, args, names, path):
    kwargs = dict(input_names=names, output_names=["y"], opset_version=17)
    # The exporter reports its progress on stdout, which carries the report.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            torch.onnx.export(module, args, str(path), dynamo=False, **kwargs)
        except TypeError:  # a torch without the dynamo switch
            torch.onnx.export(module, args, str(path), **kwargs)


def peer_calls(case, arrays, params, threads, work, libs):
    """name -> (a call, a function giving the call's output), for each peer installed."""
    torch, ort, ov = libs["torch"], libs["onnxruntime"], libs["openvino"]
    calls = {}
    if torch is None:
        return calls
    module = case.torch_module(torch, params).eval()
    args = tuple(torch.from_numpy(arrays[n]) for n in case.inputs)
    result = {}

    def eager():
        with torch.inference_mode():
            result["torch"] = module(*args)
    calls["PyTorch eager"] = (eager, lambda: result["torch"].numpy())
    if not case.onnx:
        return calls

    onnx_path = work / f"{case.name}.onnx"
    try:
        # With gradients on, nn.TransformerEncoderLayer takes its plain path,
        # which exports (its fused inference kernel has no ONNX form).
        export_onnx(torch, module, args, list(case.inputs), onnx_path)
    except Exception as e:
        reason = (str(e).splitlines() or [""])[0]
        print(f"  ONNX export failed ({type(e).__name__}: {reason}); no ONNX Runtime or OpenVINO")
        return calls
    feeds = {n: arrays[n] for n in case.inputs}
    if ort is not None:
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])

        def run_ort():
            result["ort"] = session.run(None, feeds)[0]
        calls["ONNX Runtime"] = (run_ort, lambda: result["ort"])
    if ov is not None:
        core = ov.Core()
        # f32 like every other peer: OpenVINO would pick bf16 on a CPU with it.
        compiled = core.compile_model(str(onnx_path), "CPU", {
            "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "f32"})
        request = compiled.create_infer_request()
        ov_feeds = [arrays[n] for n in case.inputs]

        def run_ov():
            request.infer(ov_feeds)
        calls["OpenVINO"] = (run_ov, lambda: request.get_output_tensor(0).data.copy())
    return calls


def time_in_turns(calls, min_time, max_rounds=200):
    """Per-call seconds of each call (best, median over batches), timed in turns."""
    batch = {}
    for name, fn in calls.items():  # warm-up, and a batch of about min_time / 10
        start = time.perf_counter()
        fn()
        one = max(time.perf_counter() - start, 1e-6)
        batch[name] = max(1, min(1000, int(min_time / 10 / one)))
    samples = {name: [] for name in calls}
    spent = {name: 0.0 for name in calls}
    for _ in range(max_rounds):
        for name, fn in calls.items():
            start = time.perf_counter()
            for _ in range(batch[name]):
                fn()
            elapsed = time.perf_counter() - start
            spent[name] += elapsed
            samples[name].append(elapsed / batch[name])
        if all(spent[n] >= min_time and len(samples[n]) >= 5 for n in calls):
            break
    return {n: (min(s), statistics.median(s), batch[n] * len(s)) for n, s in samples.items()}


# --------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------

def header(threads, libs):
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print("attnc whole models against their peers (bench/peers/peers.py)")
    print(f"date {time.strftime('%Y-%m-%d %H:%M')}, CPU {cpu}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}, {threads} threads per peer, python {platform.python_version()}")
    versions = [f"{n} {getattr(m, '__version__', '?')}" for n, m in libs.items() if m is not None]
    print("peers: " + (", ".join(versions) if versions else "none installed"))
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--attnc", type=Path, required=True, help="the attnc binary")
    p.add_argument("--runtime", type=Path, required=True, help="libattnc_runtime.a")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--min-time", type=float, default=1.0, help="seconds each peer is timed per case")
    p.add_argument("--cases", default="*", help="comma-separated patterns over the case names")
    p.add_argument("--work", type=Path, help="where the libraries and graphs go (default: a temporary folder)")
    p.add_argument("--halide", action="store_true",
                   help="also time attnc -O2 --halide (its loop nests as Halide pipelines)")
    args = p.parse_args()

    libs = {n: import_or_none(n) for n in ("torch", "onnxruntime", "openvino")}
    if libs["torch"] is not None:
        libs["torch"].set_num_threads(args.threads)
    header(args.threads, libs)
    patterns = args.cases.split(",")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for case in cases():
            if not any(fnmatch.fnmatch(case.name, pat) for pat in patterns):
                continue
            failed |= not run_case(case, args, libs, work)
    sys.exit(1 if failed else 0)


def run_case(case, args, libs, work):
    print(f"{case.name}: {case.title}; {case.flops * 1e-9:.3f} GFLOP")
    rng = np.random.default_rng(1)
    # np.asarray: a scalar param (shape ()) is a 0-d array, not a NumPy scalar.
    arrays = {n: np.asarray(rng.standard_normal(s, np.float32)) for n, s in case.inputs.items()}
    params = {n: np.asarray(np.ones(s, np.float32) if scale is None
                            else rng.standard_normal(s, np.float32) * np.float32(scale))
              for n, (s, scale) in case.params.items()}
    model = AttncModel(args.attnc, args.runtime, ROOT / case.source, case.name, work,
                       case.model)
    attnc_call = model.bind(case.dims, arrays, params, args.threads)
    calls = {"attnc -O2": (attnc_call, lambda: model.outputs[case.output])}
    if args.halide:
        halide = AttncModel(args.attnc, args.runtime, ROOT / case.source, case.name + "_halide",
                            work, case.model, flags=("--halide",))
        calls["attnc --halide"] = (halide.bind(case.dims, arrays, params, args.threads),
                                   lambda: halide.outputs[case.output])
    calls.update(peer_calls(case, arrays, params, args.threads, work, libs))

    ok = True
    for name, (fn, _) in calls.items():  # one call each for the check
        fn()
    reference = model.outputs[case.output]
    bound = case.tolerance * (float(np.abs(reference).max()) + 1)
    errors = {}
    for name, (_, output) in list(calls.items())[1:]:
        y = np.asarray(output()).reshape(reference.shape)
        errors[name] = float(np.abs(y.astype(np.float64) - reference).max())
        ok &= errors[name] <= bound
    times = time_in_turns({n: fn for n, (fn, _) in calls.items()}, args.min_time)
    attnc_median = times["attnc -O2"][1]
    print(f"  {'':16} {'best ms':>9} {'median ms':>10} {'GFLOP/s':>8} {'calls':>6} "
          f"{'attnc speed-up':>15} {'max |diff|':>11}")
    for name, (best, median, reps) in times.items():
        speedup = "" if name == "attnc -O2" else f"{median / attnc_median:.2f}x"
        diff = (f"{errors[name]:.1e}" + ("" if errors[name] <= bound else " WRONG")
                if name in errors else f"ws {model.workspace_mib:.1f} MiB")
        print(f"  {name:16} {best * 1e3:9.3f} {median * 1e3:10.3f} "
              f"{case.flops / best * 1e-9:8.1f} {reps:6d} {speedup:>15} {diff:>11}")
    print(f"  (speed-up: the peer's median time over attnc's; max |diff| against attnc's output, "
          f"bound {bound:.1e})\n")
    return ok


if __name__ == "__main__":
    main()
