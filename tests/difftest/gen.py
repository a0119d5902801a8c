"""Random valid attn models for differential testing (tests/difftest).

Two families, both seeded deterministically by random.Random:

  * attention chains: a score (dot, scaled dot, general, additive, Gaussian,
    dot as a comprehension) followed by a random list of modifications
    (scale, bias tensor, ALiBi, causal, sliding window, softcap, padding from
    an i32 length, topk_mask, an elementwise function of the score), a
    softmax and a weighted sum (`@ v` or the comprehension form), with
    optional transformations before (of q, k, v) and after (of the output);
  * expression graphs: random compositions of the language's tensor
    operations (elementwise functions, broadcasting arithmetic, where, matmul,
    .T, transpose, reductions by axis and over bound indices, softmax,
    layernorm, rmsnorm, heads/unheads, concat, reshape, slices, einsum, comprehensions with
    shifted, zero-padded reads);
  * projection chains: x @ w (or @ w.T) again and again over widths that are
    no multiple of a vector, each followed by what models put after a
    projection (bias and GELU or ReLU, tanh, sigmoid, a scale, a residual):
    the GEMM kernels and their epilogues.

Any model may then have some of its plain definitions (`let x = EXPR`,
`output y = EXPR`) moved into functions (`fn m_f1(a, b) { return EXPR }`
called as `m_f1(a, b)`), or a definition and the next one into a function
with a let: the expansion of functions must not change a result.

A model is first drawn as a *spec* (plain data) and then rendered to text, so
that a failing model can be minimised by editing its spec (dropping a
modification, an operation, shrinking dims) and rendering it again.

Every symbolic dim appears alone as an axis of some input, because
`attnc run` passes tensors to NAME_run_tensors, which infers dims from them.
Fixed dims use other names (E, A, F) than symbolic ones (B, H, S, T, D, N, KH),
so that one --dim list serves every model of a batch file.

Numerics are kept inside the f32 tolerance on purpose: exp only of squashed
values, division only by |x| + 1, comparisons only of inputs and indices
(a computed comparison can flip between f32 and double), top-k only of
scores built from the inputs by one product (ties are then as rare as for
the inputs).
"""

import copy
import random

SYMBOLIC = ["B", "H", "S", "T", "D", "N", "KH"]


# ---------------------------------------------------------------------------
# Attention chains
# ---------------------------------------------------------------------------

SCORES = ["dot", "sdot", "general", "additive", "gauss", "cdot"]
MATMUL_SCORES = ("dot", "sdot", "general")
MODS = ["scale", "bias", "alibi", "causal", "window", "softcap", "padding", "topk", "fn",
        "keybias", "relpos"]
PRE = ["tanh", "scale", "proj"]
POST = ["proj", "residual", "norm", "reduce", "act", "unheads", "selfattn"]


def attention_spec(rng):
    layout = rng.choice(["bhsd", "bhsd", "bhsd", "bshd", "bsd", "sd"])
    spec = {
        "family": "attention",
        # bhsd: q [B, H, S, D]; bshd: q [B, S, H, D] (read by comprehensions
        # only); bsd: no head axis; sd: no batch axis either.
        "layout": layout,
        # Keys and values of a head layout: "same" heads as q, "mqa" one
        # shared head ([B, 1, T, D], broadcast), "gqa" KH heads read as
        # k[.., h / 2, ..] (heads beyond KH read zeros).
        "kv": rng.choice(["same", "same", "mqa", "gqa"]) if layout in ("bhsd", "bshd") else "same",
        "head": rng.choice([None, None, 4, 8, 16]),  # None: symbolic D
        "vdim": rng.choice([None, None, 3, 8]),      # None: same as the head dim
        "score": rng.choice(SCORES),
        "mods": [],
        "pre": [],
        "post": [],
        "wsum": rng.choice(["matmul", "matmul", "comp"]),
        "out_perm": rng.random() < 0.3,  # comprehension output o[b, i, h, e]
        "inline_softmax": rng.random() < 0.5,
        "axis_kw": rng.random() < 0.3,
        "half": rng.choice([None] * 10 + ["v_f16", "q_bf16", "all_f16", "all_bf16"]),
        # "step": no query axis (one decoder step, scores [.., T]); "vec":
        # values without a feature axis (kernel regression).
        "step": layout in ("bhsd", "bsd") and rng.random() < 0.15,
        "vec": rng.random() < 0.15,
        # Other uses of the chain's intermediates, which fusion must keep.
        "out_weights": rng.random() < 0.1,
        "out_scores": rng.random() < 0.1,
    }
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
        kind = rng.choice(MODS)
        mod = {"kind": kind, "comp": rng.random() < 0.5}
        if kind == "scale":
            mod["c"] = rng.choice(["0.5", "2", "0.125", "1.5"])
            mod["op"] = rng.choice(["*", "/"])
        elif kind == "window":
            mod["w"] = rng.choice([1, 2, 3, 5, 8])
        elif kind == "softcap":
            mod["c"] = rng.choice(["1", "5", "30"])
        elif kind == "topk":
            mod["k"] = rng.choice([1, 2, 3, 5])
        elif kind == "fn":
            mod["f"] = rng.choice(["tanh", "sigmoid", "relu", "sin"])
        elif kind == "alibi":
            mod["slope"] = rng.choice(["param", "comp", "const"])
        elif kind == "relpos":
            mod["span"] = rng.choice([4, 8])
        spec["mods"].append(mod)
    # topk_mask is a whole-tensor op; keep at most one and put it last, where
    # the scores still come from one product of the inputs.
    topks = [m for m in spec["mods"] if m["kind"] == "topk"]
    spec["mods"] = [m for m in spec["mods"] if m["kind"] != "topk"] + topks[:1]
    if spec["mods"] and spec["mods"][-1]["kind"] == "topk":
        spec["mods"] = [m for m in spec["mods"] if m["kind"] not in ("fn", "softcap")]
        if spec["score"] in ("additive", "gauss"):
            spec["score"] = "dot"
    if spec["step"]:  # no query index: modifications in i do not apply
        spec["mods"] = [m for m in spec["mods"]
                        if m["kind"] not in ("causal", "window", "alibi", "relpos", "bias")]
    for _ in range(rng.choice([0, 0, 1, 2])):
        spec["pre"].append({"kind": rng.choice(PRE), "which": rng.choice(["q", "k", "v"])})
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        spec["post"].append({"kind": rng.choice(POST), "rms": rng.random() < 0.5})
    spec["dims"] = {
        "B": rng.randint(1, 3),
        "H": rng.randint(1, 3),
        "S": rng.choice([1, 2, 5, 7, 13, 20, 33, 65, 130]),
        "T": rng.choice([1, 2, 3, 6, 11, 17, 40, 70, 129]),
        "D": rng.choice([1, 2, 3, 5, 8, 17, 33]),
        "KH": rng.randint(1, 2),
    }
    return spec


def render_attention(spec, name):
    layout, kv = spec["layout"], spec["kv"]
    # Index roles of q, k, v and the scores' batch indices.
    batch = {"bhsd": ["b", "h"], "bshd": ["b", "h"], "bsd": ["b"], "sd": []}[layout]
    kvh = {"same": "h", "mqa": "0", "gqa": "h / 2"}[kv]
    head = "D" if spec["head"] is None else "E"
    vdim = head if spec["vdim"] is None else "F"
    kvheads = {"same": "H", "mqa": "1", "gqa": "KH"}[kv]
    if layout == "bhsd":
        q_roles, q_shape = ["b", "h", "i"], ["B", "H", "S"]
        k_roles, k_shape = ["b", kvh, "j"], ["B", kvheads, "T"]
    elif layout == "bshd":
        q_roles, q_shape = ["b", "i", "h"], ["B", "S", "H"]
        k_roles, k_shape = ["b", "j", kvh], ["B", "T", kvheads]
    elif layout == "bsd":
        q_roles, q_shape = ["b", "i"], ["B", "S"]
        k_roles, k_shape = ["b", "j"], ["B", "T"]
    else:
        q_roles, q_shape = ["i"], ["S"]
        k_roles, k_shape = ["j"], ["T"]
    step, vec = spec.get("step", False), spec.get("vec", False)
    if step:
        q_roles, q_shape = q_roles[:-1] if layout == "bsd" else ["b", "h"], [d for d in q_shape if d != "S"]
    # q @ k.T and w @ v mean attention only for these layouts.
    standard = layout != "bshd" and kv != "gqa" and not step
    score = spec["score"]
    if score in MATMUL_SCORES and not standard:
        score = "cdot"
    wsum = spec["wsum"] if standard and (not vec or layout == "sd") else "comp"
    bdims = [d for d in ("B", "H") if d in q_shape]
    dims = bdims + ([] if step else ["S"]) + ["T"] + (["KH"] if kv == "gqa" else [])
    if spec["head"] is None:
        dims.append("D")
    fixed = []
    if spec["head"] is not None:
        fixed.append("E = %d" % spec["head"])
    if spec["vdim"] is not None and not vec:
        fixed.append("F = %d" % spec["vdim"])
    lines = ["model %s {" % name, "  dim " + ", ".join(dims + fixed)]
    half = spec["half"]
    all16 = {"all_f16": "f16", "all_bf16": "bf16"}.get(half)
    qt = all16 or ("bf16" if half == "q_bf16" else "f32")
    kt = all16 or "f32"
    vt = all16 or ("f16" if half == "v_f16" else "f32")
    lines.append("  input q: %s[%s]" % (qt, ", ".join(q_shape + [head])))
    lines.append("  input k: %s[%s]" % (kt, ", ".join(k_shape + [head])))
    lines.append("  input v: %s[%s]" % (vt, ", ".join(k_shape + ([] if vec else [vdim]))))
    kinds = [m["kind"] for m in spec["mods"]]
    if "padding" in kinds:
        lines.append("  input kv_len: i32%s" % ("[B]" if "b" in batch else ""))
    if "bias" in kinds:
        lines.append("  input bias: f32[S, T]")
    if "keybias" in kinds:
        lines.append("  input kbias: f32[%s]" % ", ".join(["B"] * ("b" in batch) + ["T"]))
    for m in spec["mods"]:
        if m["kind"] == "relpos" and "rel" not in "".join(lines):
            lines.append("  param rel: f32[%s%d]" % ("H, " if "h" in batch else "", m["span"]))
    if score == "general":
        lines.append("  param wg: f32[%s, %s]" % (head, head))
    if score == "additive":
        lines.append("  dim A = 4")
        lines.append("  param wq: f32[%s, A], wk: f32[%s, A], wa: f32[A]" % (head, head))
    if any(m["kind"] == "alibi" and m["slope"] == "param" for m in spec["mods"]):
        lines.append("  param slope_p: f32" + ("[H]" if "h" in batch else ""))
    pre = [dict(p, kind="tanh") if p["kind"] == "proj" and p["which"] == "v" and vec else p
           for p in spec["pre"]]
    pre_params = set()
    for p in pre:
        if p["kind"] == "proj":
            width = vdim if p["which"] == "v" else head
            pname = "p" + p["which"]
            if pname not in pre_params:
                lines.append("  param %s: f32[%s, %s]" % (pname, width, width))
                pre_params.add(pname)

    cur = {"q": "q", "k": "k", "v": "v"}
    counter = [0]

    def fresh(base):
        counter[0] += 1
        return "%s%d" % (base, counter[0])

    for p in pre:
        src = cur[p["which"]]
        dst = fresh(p["which"])
        if p["kind"] == "tanh":
            lines.append("  let %s = tanh(%s)" % (dst, src))
        elif p["kind"] == "scale":
            lines.append("  let %s = %s * 0.5 + 0.25" % (dst, src))
        else:
            lines.append("  let %s = %s @ p%s" % (dst, src, p["which"]))
        cur[p["which"]] = dst
    q, k, v = cur["q"], cur["k"], cur["v"]
    ij = batch + (["j"] if step else ["i", "j"])
    sub = ", ".join(ij)

    def rq(t, last):
        return "%s[%s]" % (t, ", ".join(q_roles + [last]))

    def rk(t, last):
        return "%s[%s]" % (t, ", ".join(k_roles + ([last] if last else [])))

    if score == "dot":
        lines.append("  let s0 = %s @ %s.T" % (q, k))
    elif score == "sdot":
        lines.append("  let s0 = %s @ %s.T / sqrt(%s)" % (q, k, head))
    elif score == "general":
        lines.append("  let s0 = (%s @ wg) @ %s.T" % (q, k))
    elif score == "additive":
        lines.append("  let qa = %s @ wq" % q)
        lines.append("  let ka = %s @ wk" % k)
        lines.append("  let s0[%s] = sum(a: wa[a] * tanh(%s + %s))" % (sub, rq("qa", "a"), rk("ka", "a")))
    elif score == "gauss":
        lines.append("  let s0[%s] = -sum(d: (%s - %s) ** 2) * 0.5" % (sub, rq(q, "d"), rk(k, "d")))
    else:
        lines.append("  let s0[%s] = sum(d: %s * %s)" % (sub, rq(q, "d"), rk(k, "d")))
    s = "s0"
    for m in spec["mods"]:
        kind = m["kind"]
        dst = fresh("s")
        el = "%s[%s]" % (s, sub)
        if kind == "scale":
            if m["comp"]:
                lines.append("  let %s[%s] = %s %s %s" % (dst, sub, el, m["op"], m["c"]))
            else:
                lines.append("  let %s = %s %s %s" % (dst, s, m["op"], m["c"]))
        elif kind == "bias":
            if m["comp"]:
                lines.append("  let %s[%s] = %s + bias[i, j]" % (dst, sub, el))
            else:
                lines.append("  let %s = %s + bias" % (dst, s))
        elif kind == "keybias":
            lines.append("  let %s[%s] = %s + kbias[%s]" % (dst, sub, el, ", ".join(["b"] * ("b" in batch) + ["j"])))
        elif kind == "relpos":
            # Distances beyond the table read 0 (zero padding).
            lines.append("  let %s[%s] = %s + rel[%si - j + %d]" % (dst, sub, el, "h, " if "h" in batch else "", m["span"] // 2))
        elif kind == "alibi":
            if m["slope"] == "param":
                sl = "slope_p[h]" if "h" in batch else "slope_p"
            elif m["slope"] == "comp" and "h" in batch:
                sname = fresh("slope")
                lines.append("  let %s[h: H] = 2 ** (-8.0 * (h + 1) / H)" % sname)
                sl = "%s[h]" % sname
            else:
                sl = "0.25"
            lines.append("  let %s[%s] = %s + %s * (j - i)" % (dst, sub, el, sl))
        elif kind == "causal":
            lines.append("  let %s[%s] = where(j <= i, %s, -inf)" % (dst, sub, el))
        elif kind == "window":
            lines.append("  let %s[%s] = where(j <= i && i - j < %d, %s, -inf)" % (dst, sub, m["w"], el))
        elif kind == "softcap":
            if m["comp"]:
                lines.append("  let %s[%s] = %s * tanh(%s / %s)" % (dst, sub, m["c"], el, m["c"]))
            else:
                lines.append("  let %s = %s * tanh(%s / %s)" % (dst, m["c"], s, m["c"]))
        elif kind == "padding":
            length = "kv_len[b]" if "b" in batch else "kv_len"
            lines.append("  let %s[%s] = where(j < %s, %s, -inf)" % (dst, sub, length, el))
        elif kind == "topk":
            lines.append("  let %s = topk_mask(%s, %d)" % (dst, s, m["k"]))
        elif kind == "fn":
            if m["comp"]:
                lines.append("  let %s[%s] = %s + 0.5 * %s(%s)" % (dst, sub, el, m["f"], el))
            else:
                lines.append("  let %s = %s + 0.5 * %s(%s)" % (dst, s, m["f"], s))
        s = dst
    sm = "softmax(%s%s)" % (s, ", axis = -1" if spec["axis_kw"] else "")
    rows = [] if step else ["i"]
    out_idx = batch + rows + ([] if vec else ["e"])
    o_shape = bdims + ([] if step else ["S"]) + ([] if vec else [vdim])
    if spec["out_perm"] and "h" in batch and wsum == "comp" and not step:
        out_idx = ["b", "i", "h"] + ([] if vec else ["e"])
        o_shape = ["B", "S", "H"] + ([] if vec else [vdim])
    if wsum == "matmul":
        if spec["inline_softmax"]:
            lines.append("  let o = %s @ %s" % (sm, v))
        else:
            lines.append("  let w = %s" % sm)
            lines.append("  let o = w @ %s" % v)
    else:
        lines.append("  let w = %s" % sm)
        lines.append("  let o[%s] = sum(j: w[%s] * %s)" % (", ".join(out_idx), sub,
                                                            rk(v, None if vec else "e")))
    o = "o"
    post_params = []
    for p in spec["post"]:
        kind = p["kind"]
        dst = fresh("y")
        if kind == "proj" and o_shape:
            pname = fresh("wo")
            post_params.append("  param %s: f32[%s, %s]" % (pname, o_shape[-1], o_shape[-1]))
            lines.append("  let %s = %s @ %s" % (dst, o, pname))
        elif kind == "residual" and o_shape == q_shape + [head] and qt == "f32" and not vec:
            lines.append("  let %s = %s + q" % (dst, o))
        elif kind == "norm" and o_shape:
            fn = "rmsnorm(%s, 1.0)" if p.get("rms") else "layernorm(%s, 1.0, 0.0)"
            lines.append("  let %s = %s" % (dst, fn % o))
        elif kind == "reduce" and o_shape:
            lines.append("  let %s = sum(%s, axis = -1)" % (dst, o))
            o_shape = o_shape[:-1]
        elif kind == "selfattn" and len(o_shape) >= 2:
            # A second attention chain over the first one's output.
            lines.append("  let %s = softmax(%s @ %s.T * 0.5) @ %s" % (dst, o, o, o))
        elif kind == "unheads" and len(o_shape) >= 3:
            lines.append("  let %s = unheads(%s)" % (dst, o))
            o_shape = o_shape[:-3] + [o_shape[-2], "%s * %s" % (o_shape[-3], o_shape[-1])]
        else:
            lines.append("  let %s = gelu(%s)" % (dst, o))
        o = dst
    lines[2:2] = post_params
    lines.append("  output out = %s" % o)
    if spec.get("out_scores"):
        lines.append("  output scores = s0")
    if spec.get("out_weights") and any(l.startswith("  let w = ") for l in lines):
        lines.append("  output weights = w")
    lines.append("}")
    return "\n".join(lines) + "\n"


def attention_dims(spec):
    """Dim values for `attnc run`, only those the model declares."""
    d = spec["dims"]
    used = {"bhsd": ["B", "H"], "bshd": ["B", "H"], "bsd": ["B"], "sd": []}[spec["layout"]]
    used += (["T"] if spec.get("step") else ["S", "T"])
    if spec.get("kv") == "gqa":
        used.append("KH")
    if spec["head"] is None:
        used.append("D")
    return {n: d[n] for n in used}


def attention_reductions(spec):
    """Smaller variants of a failing spec, for minimisation."""
    out = []
    for key in ("mods", "pre", "post"):
        for i in range(len(spec[key])):
            s = copy.deepcopy(spec)
            del s[key][i]
            out.append(s)
    simpler = {"score": "dot", "wsum": "matmul", "half": None, "layout": "sd", "kv": "same",
               "step": False, "vec": False, "out_weights": False, "out_scores": False,
               "head": None, "vdim": None, "inline_softmax": False, "axis_kw": False,
               "out_perm": False}
    for key, value in simpler.items():
        if spec[key] != value:
            s = copy.deepcopy(spec)
            s[key] = value
            out.append(s)
    for i, m in enumerate(spec["mods"]):
        if m.get("comp"):
            s = copy.deepcopy(spec)
            s["mods"][i]["comp"] = False
            out.append(s)
    for dim, value in spec["dims"].items():
        for smaller in sorted({1, 2, value // 2}):
            if smaller < value:
                s = copy.deepcopy(spec)
                s["dims"][dim] = smaller
                out.append(s)
    return out


# ---------------------------------------------------------------------------
# Expression graphs
# ---------------------------------------------------------------------------

UNARY = ["tanh", "sigmoid", "relu", "gelu", "abs", "sin", "cos", "neg", "sq", "expt",
         "logp", "sqrta", "rsq", "scale", "silu", "softplus", "erf", "clampc"]
BINARY = ["+", "-", "*", "max", "min", "div"]


def expr_spec(rng):
    inputs = []
    fixed = rng.choice([2, 4, 8])
    shapes = [["S", "E"], ["S", "E"], ["E", "E"], ["N", "S", "E"], ["E"], ["S", "T"], ["T", "E"]]
    for i in range(rng.randint(2, 4)):
        inputs.append({"name": "x%d" % i, "shape": list(rng.choice(shapes))})
    ops = []
    for _ in range(rng.randint(2, 9)):
        ops.append({"r": [rng.random() for _ in range(6)]})
    spec = {"family": "expr", "E": fixed, "inputs": inputs, "ops": ops,
            "n_outputs": rng.choice([1, 1, 2]),
            "dims": {"S": rng.choice([1, 2, 3, 5, 9, 17]), "T": rng.choice([1, 2, 4, 7]),
                     "N": rng.choice([1, 2, 3])}}
    return spec


def _pick(r, items):
    return items[min(int(r * len(items)), len(items) - 1)]


def render_expr(spec, name):
    """Renders an expression-graph spec. Each op record holds random numbers
    only; what they mean depends on the values available when it is
    rendered, so dropping an op still renders a valid model."""
    E = spec["E"]
    values = []  # (name, shape, is_input)
    params = []
    lets = []
    for x in spec["inputs"]:
        values.append((x["name"], x["shape"], True))
    counter = [0]

    def fresh():
        counter[0] += 1
        return "t%d" % counter[0]

    def pid():
        counter[0] += 1
        return "w%d" % counter[0]

    for op in spec["ops"]:
        r = op["r"]
        kind = _pick(r[0], ["unary", "unary", "binary", "binary", "where", "matmul", "reduce",
                            "softmax", "norm", "transpose", "heads", "concat", "comp", "shift",
                            "bound", "reshape", "slice", "einsum"])
        # Mostly extend the latest value, so that operations chain.
        a_name, a_shape, a_input = values[-1] if r[1] < 0.6 else _pick(r[5], values)
        dst = fresh()
        shape = None
        if kind == "unary":
            f = _pick(r[2], UNARY)
            text = {"neg": "-%s" % a_name, "sq": "%s ** 2" % a_name,
                    "expt": "exp(tanh(%s))" % a_name, "logp": "log(abs(%s) + 1)" % a_name,
                    "sqrta": "sqrt(abs(%s))" % a_name, "rsq": "rsqrt(%s * %s + 1)" % (a_name, a_name),
                    "scale": "%s * 0.75" % a_name,
                    "clampc": "clamp(%s, -0.5, 0.5)" % a_name}.get(f, "%s(%s)" % (f, a_name))
            shape = a_shape
        elif kind == "binary":
            same = [v for v in values if v[1] == a_shape or v[1] == a_shape[-1:] or not v[1]]
            b_name, b_shape, _ = _pick(r[3], same)
            op_ = _pick(r[2], BINARY)
            if op_ in ("max", "min"):
                text = "%s(%s, %s)" % (op_, a_name, b_name)
            elif op_ == "div":
                text = "%s / (abs(%s) + 1)" % (a_name, b_name)
            else:
                text = "%s %s %s" % (a_name, op_, b_name)
            shape = a_shape
        elif kind == "where":
            conds = [v for v in values if v[2] and v[1] == a_shape]
            if not conds:
                continue
            c_name = _pick(r[3], conds)[0]
            text = "where(%s > 0, %s, %s * 0.5)" % (c_name, a_name, a_name)
            shape = a_shape
        elif kind == "matmul":
            if len(a_shape) < 2:
                continue
            partners = [v for v in values if len(v[1]) == 2 and v[1][0] == a_shape[-1]]
            partners_t = [v for v in values if len(v[1]) == 2 and v[1][1] == a_shape[-1]]
            if partners and r[2] < 0.5:
                b_name, b_shape, _ = _pick(r[3], partners)
                text = "%s @ %s" % (a_name, b_name)
                shape = a_shape[:-1] + [b_shape[1]]
            elif partners_t:
                b_name, b_shape, _ = _pick(r[3], partners_t)
                text = "%s @ %s.T" % (a_name, b_name)
                shape = a_shape[:-1] + [b_shape[0]]
            else:
                w = pid()
                params.append("  param %s: f32[%s, E]" % (w, a_shape[-1]))
                text = "%s @ %s" % (a_name, w)
                shape = a_shape[:-1] + ["E"]
        elif kind == "reduce":
            if len(a_shape) < 1:
                continue
            axis = int(r[2] * len(a_shape))
            f = _pick(r[3], ["sum", "max", "mean", "min"])
            text = "%s(%s, axis = %d)" % (f, a_name, axis)
            shape = a_shape[:axis] + a_shape[axis + 1:]
        elif kind == "softmax":
            if len(a_shape) < 1:
                continue
            axis = int(r[2] * len(a_shape))
            text = "softmax(%s, axis = %d)" % (a_name, axis)
            shape = a_shape
        elif kind == "norm":
            if len(a_shape) < 1:
                continue
            if r[2] < 0.5:
                g = pid()
                params.append("  param %s: f32[%s]" % (g, a_shape[-1]))
                text = "layernorm(%s, %s, 0.5)" % (a_name, g)
            else:
                text = "rmsnorm(%s, 2.0)" % a_name
            shape = a_shape
        elif kind == "transpose":
            if len(a_shape) < 2:
                continue
            if r[2] < 0.5:
                text = "%s.T" % a_name
                shape = a_shape[:-2] + [a_shape[-1], a_shape[-2]]
            else:
                perm = list(range(len(a_shape)))
                random.Random(int(r[3] * 1e9)).shuffle(perm)
                text = "transpose(%s, [%s])" % (a_name, ", ".join(map(str, perm)))
                shape = [a_shape[p] for p in perm]
        elif kind == "heads":
            if len(a_shape) >= 3 and r[2] < 0.5:
                text = "unheads(%s)" % a_name
                shape = a_shape[:-3] + [a_shape[-2], "%s * %s" % (a_shape[-3], a_shape[-1])]
            elif len(a_shape) >= 2 and a_shape[-1] == "E" and E % 2 == 0:
                text = "heads(%s, 2)" % a_name
                shape = a_shape[:-2] + ["2", a_shape[-2], str(E // 2)]
            else:
                continue
        elif kind == "concat":
            same = [v for v in values if len(v[1]) == len(a_shape) and len(a_shape) >= 1]
            if not same:
                continue
            b_name, b_shape, _ = _pick(r[3], same)
            diff = [i for i in range(len(a_shape)) if a_shape[i] != b_shape[i]]
            if len(diff) > 1:
                continue
            axis = diff[0] if diff else int(r[2] * len(a_shape))
            left, right = a_shape[axis], b_shape[axis]
            # Sometimes a third operand: the first once more.
            if r[4] < 0.3:
                text = "concat(%s, %s, %s, axis = %d)" % (a_name, b_name, a_name, axis)
                right = "(%s) + (%s)" % (right, left)
            else:
                text = "concat(%s, %s, axis = %d)" % (a_name, b_name, axis)
            shape = a_shape[:axis] + ["(%s) + (%s)" % (left, right)] + a_shape[axis + 1:]
        elif kind in ("comp", "shift"):
            if len(a_shape) != 2:
                continue
            if kind == "comp":
                partners = [v for v in values if len(v[1]) == 2 and v[1][1] == a_shape[1]]
                b_name, b_shape, _ = _pick(r[3], partners)
                text = None
                lets.append("  let %s[i, j] = sum(c: %s[i, c] * tanh(%s[j, c]))" % (dst, a_name, b_name))
                shape = [a_shape[0], b_shape[0]]
            else:
                dy = _pick(r[2], [-2, -1, 1, 2])
                sign = "+" if dy > 0 else "-"
                text = None
                lets.append("  let %s[i, j] = %s[i, j] + 0.5 * %s[i %s %d, j]" % (dst, a_name, a_name, sign, abs(dy)))
                shape = a_shape
        elif kind == "bound":
            if len(a_shape) != 2:
                continue
            f = _pick(r[2], ["sum", "max", "mean", "min"])
            text = None
            lets.append("  let %s[i] = %s(j: %s[i, j] * 0.5)" % (dst, f, a_name))
            shape = a_shape[:1]
        elif kind == "slice":
            if len(a_shape) < 1:
                continue
            form = _pick(r[2], ["tail", "first", "last_column"])
            if form == "tail":
                text = "%s[..., 1:]" % a_name
                shape = a_shape[:-1] + ["(%s) - 1" % a_shape[-1]]
            elif form == "first":
                text = "%s[0]" % a_name
                shape = a_shape[1:]
            elif len(a_shape) >= 2:
                text = "%s[:, -1]" % a_name
                shape = a_shape[:1] + a_shape[2:]
            else:
                continue
        elif kind == "einsum":
            if len(a_shape) != 2:
                continue
            partners = [v for v in values if len(v[1]) == 2 and v[1][1] == a_shape[1]]
            b_name, b_shape, _ = _pick(r[3], partners)
            text = 'einsum("ij,kj->ik", %s, %s)' % (a_name, b_name)
            shape = [a_shape[0], b_shape[0]]
        elif kind == "reshape":
            if len(a_shape) < 2:
                continue
            text = "reshape(%s, [-1])" % a_name
            shape = [" * ".join("(%s)" % x for x in a_shape)]
        if text is not None:
            lets.append("  let %s = %s" % (dst, text))
        values.append((dst, shape, False))
    computed = [v for v in values if not v[2]]
    if not computed:
        lets.append("  let t0 = tanh(%s)" % values[0][0])
        computed = [("t0", values[0][1], False)]
    outs = computed[-spec["n_outputs"]:]
    # Derived extents (a flattened or concatenated axis) are dim expressions
    # such as (S) * (E): fine for the checker and the runtime, as every
    # symbolic dim they mention is an axis of an input.
    used = set()
    for x in spec["inputs"]:
        used.update(a for a in x["shape"] if a in SYMBOLIC)
    dims = [d for d in ["N", "S", "T"] if d in used]
    lines = ["model %s {" % name, "  dim " + ", ".join(dims + ["E = %d" % E])]
    for x in spec["inputs"]:
        lines.append("  input %s: f32[%s]" % (x["name"], ", ".join(x["shape"])))
    lines += params + lets
    for i, (n, _, _) in enumerate(outs):
        lines.append("  output out%d = %s" % (i, n))
    lines.append("}")
    return "\n".join(lines) + "\n"


def expr_dims(spec):
    used = set()
    for x in spec["inputs"]:
        used.update(a for a in x["shape"] if a in SYMBOLIC)
    return {d: spec["dims"][d] for d in sorted(used)}


def expr_reductions(spec):
    out = []
    for i in range(len(spec["ops"])):
        s = copy.deepcopy(spec)
        del s["ops"][i]
        out.append(s)
    for i in range(len(spec["inputs"])):
        if len(spec["inputs"]) > 1:
            s = copy.deepcopy(spec)
            del s["inputs"][i]
            out.append(s)
    if spec["n_outputs"] > 1:
        s = copy.deepcopy(spec)
        s["n_outputs"] = 1
        out.append(s)
    for dim, value in spec["dims"].items():
        for smaller in sorted({1, 2, value // 2}):
            if smaller < value:
                s = copy.deepcopy(spec)
                s["dims"][dim] = smaller
                out.append(s)
    return out


# ---------------------------------------------------------------------------
# Projection chains
# ---------------------------------------------------------------------------

WIDTHS = [1, 5, 8, 17, 24, 33, 48, 50, 64, 72]
EPILOGUES = ["bias_gelu", "bias_relu", "tanh", "sigmoid", "scale", "residual", "none"]


def chain_spec(rng):
    return {"family": "chain", "widths": [rng.choice(WIDTHS) for _ in range(3)],
            "batched": rng.random() < 0.5,
            "steps": [{"r": [rng.random() for _ in range(3)]} for _ in range(rng.randint(1, 5))],
            "dims": {"S": rng.choice([1, 3, 9, 17, 33, 70]), "N": rng.choice([1, 2, 3])}}


def render_chain(spec, name):
    """x, then h_i = EPILOGUE(h_{i-1} @ w_i) for each step. Products are
    scaled by 1/4 before a bias or residual, so that values stay near 1."""
    widths = dict(zip(["E", "A", "F"], spec["widths"]))
    lines = ["model %s {" % name,
             "  dim S%s, %s" % (", N" if spec["batched"] else "",
                                ", ".join("%s = %d" % kv for kv in widths.items())),
             "  input x: f32[%sS, E]" % ("N, " if spec["batched"] else "")]
    cur, width = "x", "E"
    for i, step in enumerate(spec["steps"]):
        r = step["r"]
        out = _pick(r[0], list(widths))
        if r[1] < 0.6:
            lines.append("  param w%d: f32[%s, %s]" % (i, width, out))
            product = "%s @ w%d" % (cur, i)
        else:
            lines.append("  param w%d: f32[%s, %s]" % (i, out, width))
            product = "%s @ w%d.T" % (cur, i)
        epilogue = _pick(r[2], EPILOGUES)
        if epilogue == "residual" and out != width:
            epilogue = "scale"
        if epilogue.startswith("bias"):
            lines.append("  param b%d: f32[%s]" % (i, out))
            text = "%s(%s * 0.25 + b%d)" % (epilogue[5:], product, i)
        elif epilogue in ("tanh", "sigmoid"):
            text = "%s(%s)" % (epilogue, product)
        elif epilogue == "scale":
            text = "%s * 0.25" % product
        elif epilogue == "residual":
            text = "%s + %s * 0.25" % (cur, product)
        else:
            text = product
        lines.append("  let h%d = %s" % (i, text))
        cur, width = "h%d" % i, out
    lines.append("  output out0 = %s" % cur)
    lines.append("}")
    return "\n".join(lines) + "\n"


def chain_dims(spec):
    names = ["S", "N"] if spec["batched"] else ["S"]
    return {d: spec["dims"][d] for d in names}


def chain_reductions(spec):
    out = []
    for i in range(len(spec["steps"])):
        if len(spec["steps"]) > 1:
            s = copy.deepcopy(spec)
            del s["steps"][i]
            out.append(s)
    for i, w in enumerate(spec["widths"]):
        if w > 1:
            s = copy.deepcopy(spec)
            s["widths"][i] = 1
            out.append(s)
    for dim, value in chain_dims(spec).items():
        if value > 1:
            s = copy.deepcopy(spec)
            s["dims"][dim] = 1
            out.append(s)
    return out


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

FAMILIES = {
    "attention": (render_attention, attention_dims, attention_reductions),
    "expr": (render_expr, expr_dims, expr_reductions),
    "chain": (render_chain, chain_dims, chain_reductions),
}


# ---------------------------------------------------------------------------
# Functions: plain definitions moved into `fn`s after rendering
# ---------------------------------------------------------------------------

KEYWORDS = {"model", "dim", "input", "param", "let", "output", "schedule", "f32", "f16",
            "bf16", "i32", "i64", "inf", "fn", "return"}


def _names(expr):
    """The identifiers of an expression's text that are not keyword
    arguments (`axis =`) or inside the einsum string, in order."""
    import re
    expr = re.sub(r'"[^"]*"', '""', expr)
    out = []
    for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", expr):
        rest = expr[m.end():].lstrip()
        if rest.startswith("=") and not rest.startswith("=="):
            continue
        if expr[m.start() - 1:m.start()].isdigit():
            continue  # the exponent of 1e-5
        out.append(m.group(0))
    return out


def functionize(text, name, rng):
    """Moves some one-line plain definitions of model `name` into functions
    whose parameters are the tensors they read (named as in the model), and
    sometimes two consecutive ones into one function with a let."""
    lines = text.split("\n")
    tensors, fns, count = set(), [], 0
    i = 0
    while i < len(lines):
        line = lines[i]
        words = line.split()
        if len(words) >= 2 and words[0] in ("input", "param"):
            for part in line.split(":")[:-1]:
                tensors.add(part.replace("input", "").replace("param", "").split(",")[-1].strip())
        plain = (len(words) >= 4 and words[0] in ("let", "output") and words[2] == "="
                 and "[" not in words[1] and line.count("(") == line.count(")")
                 and (i + 1 == len(lines) or not lines[i + 1].startswith("    ")))
        if plain and rng.random() < 0.35:
            target, expr = words[1], line.split("=", 1)[1].strip()
            body, result, params = [], expr, []
            # Sometimes the next plain let joins the function, this one
            # becoming its let.
            nxt = lines[i + 1].split() if i + 1 < len(lines) else []
            if (words[0] == "let" and len(nxt) >= 4 and nxt[0] in ("let", "output")
                    and nxt[2] == "=" and "[" not in nxt[1] and rng.random() < 0.5
                    and lines[i + 1].count("(") == lines[i + 1].count(")")
                    and (i + 2 == len(lines) or not lines[i + 2].startswith("    "))):
                later = lines[i + 1].split("=", 1)[1].strip()
                # The let becomes the function's own: nothing after may read it.
                if not any(target in _names(l) for l in lines[i + 2:]):
                    body = ["  let %s = %s" % (target, expr)]
                    result = later
                    uses = _names(expr) + [n for n in _names(later) if n != target]
                    declared = nxt[1]
                    params = [n for n in dict.fromkeys(uses) if n in tensors]
                    if params:
                        count += 1
                        fname = "%s_f%d" % (name, count)
                        fns.append("fn %s(%s) {\n%s\n  return %s\n}\n"
                                   % (fname, ", ".join(params), "\n".join(body), result))
                        lines[i] = "  %s %s = %s(%s)" % (nxt[0], declared, fname, ", ".join(params))
                        del lines[i + 1]
                        tensors.add(declared)
                        i += 1
                        continue
            params = [n for n in dict.fromkeys(_names(expr)) if n in tensors]
            if params:
                count += 1
                fname = "%s_f%d" % (name, count)
                fns.append("fn %s(%s) {\n  return %s\n}\n" % (fname, ", ".join(params), expr))
                lines[i] = "  %s %s = %s(%s)" % (words[0], target, fname, ", ".join(params))
        if len(words) >= 2 and words[0] in ("let", "output"):
            tensors.add(words[1].split("[")[0])
        i += 1
    return "".join(fns) + "\n".join(lines)


def make_spec(rng):
    draw = rng.random()
    if draw < 0.5:
        spec = attention_spec(rng)
    else:
        spec = expr_spec(rng) if draw < 0.8 else chain_spec(rng)
    if rng.random() < 0.3:
        spec["functions"] = rng.randrange(1 << 30)
    return spec


def render(spec, name):
    text = FAMILIES[spec["family"]][0](spec, name)
    if "functions" in spec:
        text = functionize(text, name, random.Random(spec["functions"]))
    return text


def dims_of(spec):
    return FAMILIES[spec["family"]][1](spec)


def reductions(spec):
    if "functions" in spec:
        plain = dict(spec)
        del plain["functions"]
        yield plain
    yield from FAMILIES[spec["family"]][2](spec)
