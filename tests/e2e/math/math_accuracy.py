"""e2e.math: the error of every transcendental function in compiled code,
measured against double precision over the whole f32 range.

The inputs are 2000 random values from every binade of f32 (both signs,
subnormals included) and the special values. Each function's result is
compared with the double-precision one: the error in units in the last
place (ulp) of that value rounded to f32, over the results that are normal
f32 numbers; a smaller result may flush to 0. The test fails when an error
exceeds the bound docs/usage.md documents (BOUNDS), or NaN and infinity do
not come out where they should.

usage: math_accuracy.py ATTNC WORKDIR
"""

import math
import os
import subprocess
import sys

import numpy as np

# The documented bounds (docs/usage.md), in ulp, at -O2 and at -O0. The
# functions composed of others (sigmoid, gelu, silu, softplus) meet theirs
# or are within 1e-6 absolute: where 1 + exp(x) or 1 + erf(x) round a small
# part away (gelu of x below -1, softplus of x below -13 at -O0), the
# relative error of a tiny result is large, the absolute one is not.
BOUNDS = {
    "-O2": {"exp": 3, "tanh": 5, "erf": 4, "log": 1, "sin": 1, "cos": 1,
            "sigmoid": 2, "gelu": 4, "silu": 3, "softplus": 3},
    "-O0": {"exp": 1, "tanh": 2, "erf": 1, "log": 1, "sin": 1, "cos": 1,
            "sigmoid": 2, "gelu": 4, "silu": 3, "softplus": 3},
}
COMPOSED = {"sigmoid", "gelu", "silu", "softplus"}
ABSOLUTE = 1e-6


def inputs():
    rng = np.random.default_rng(2026)
    parts = []
    for exponent in range(0, 255):  # 0: the subnormals
        mantissa = rng.integers(0, 1 << 23, 2000, dtype=np.uint32)
        parts.append(((np.uint32(exponent) << np.uint32(23)) | mantissa).view(np.float32))
    x = np.concatenate(parts)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 88.0, -88.0],
                        np.float32)
    return np.concatenate([x, -x, specials])


def references(xd):
    erf = np.vectorize(math.erf, otypes=[np.float64])
    with np.errstate(all="ignore"):
        return {
            "exp": np.exp(xd), "tanh": np.tanh(xd), "erf": erf(xd),
            "sigmoid": 1.0 / (1.0 + np.exp(-xd)), "log": np.log(xd), "sin": np.sin(xd),
            "cos": np.cos(xd), "gelu": 0.5 * xd * (1.0 + erf(xd / math.sqrt(2.0))),
            "silu": xd / (1.0 + np.exp(-xd)), "softplus": np.logaddexp(0.0, xd),
        }


def ulp_errors(got, ref):
    """|got - ref| in ulp of ref rounded to f32, where that is a normal number."""
    with np.errstate(all="ignore"):
        ref32 = ref.astype(np.float32)
        normal = np.isfinite(ref32) & (np.abs(ref32) >= np.finfo(np.float32).tiny)
        spacing = np.spacing(np.abs(ref32)).astype(np.float64)
        err = np.abs(got.astype(np.float64) - ref) / spacing
    return err, normal, ref32


def check(name, level, x, got, ref):
    """The line to print for one function, and whether it holds."""
    err, normal, ref32 = ulp_errors(got, ref)
    absolute = np.abs(got.astype(np.float64) - ref)
    bound = BOUNDS[level][name]
    counted = normal
    within = (err <= bound) | (absolute <= ABSOLUTE)
    if name not in COMPOSED:
        # Below the normal range a result may flush to 0.
        within = np.where(normal, err <= bound,
                          ~np.isfinite(ref32) | (absolute <= np.finfo(np.float32).tiny))
    specials = (np.array_equal(np.isnan(got), np.isnan(ref32)) and
                np.array_equal(np.isposinf(got), np.isposinf(ref32)) and
                np.array_equal(np.isneginf(got), np.isneginf(ref32)))
    worst = int(np.argmax(np.where(counted, err, 0.0)))
    line = "%s %-8s max %5.2f ulp (x = %.9g), 99.9%% within %5.2f ulp, bound %d%s" % (
        level, name, err[counted].max(), x[worst], np.percentile(err[counted], 99.9), bound,
        " or %g absolute (max %.2g)" % (ABSOLUTE, absolute[np.isfinite(ref32)].max())
        if name in COMPOSED else "")
    ok = bool(within[np.isfinite(ref32)].all()) and specials
    if not ok:
        bad = np.flatnonzero(~within & np.isfinite(ref32))
        line += "  <- FAILS" + (" at x = %r: %r, expected %r" % (x[bad[0]], got[bad[0]], ref[bad[0]])
                                if bad.size else " (NaN or infinity misplaced)")
    return line, ok


def main():
    attnc, work = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(work, exist_ok=True)
    x = inputs()
    np.save(os.path.join(work, "x.npy"), x)
    refs = references(x.astype(np.float64))
    failed = False
    for level in ("-O0", "-O2"):
        out = os.path.join(work, "out" + level)
        subprocess.run([attnc, "run", os.path.join(here, "functions.attn"), level,
                        "--dim", "N=%d" % x.size, "--input",
                        "x=@" + os.path.join(work, "x.npy"), "--output", out],
                       check=True, stdout=subprocess.DEVNULL)
        for name, ref in refs.items():
            got = np.load(os.path.join(out, name + ".npy"))
            line, ok = check(name, level, x, got, ref)
            print(line)
            failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
