#!/usr/bin/env python3
"""Compile time and memory grow about linearly with the model.

Compiles generated models (generate_model.py) of each family at a size N and
at 4 N and checks that the time and peak memory each grew by at most
--max-ratio (default 7) times, after subtracting what compiling the smallest
model takes: linear growth gives 4, quadratic 16. Each time is the best of
--repeat runs.

    compile_scaling.py --attnc build/bin/attnc             the test (ctest: scaling)
    compile_scaling.py --attnc build/bin/attnc --large     the sizes of large models
                                                           users reported, as a table

With --large nothing is asserted; it prints the time and peak memory of each.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_model import model  # noqa: E402

# (family, N): 4 N takes one to a few seconds on a 2-core machine.
TEST_SIZES = [("inputs", 2000), ("outputs", 400), ("softmax", 30), ("lets", 30),
              ("shared", 50), ("layers", 4), ("models", 100)]
LARGE_SIZES = [("inputs", 4000), ("inputs", 100000), ("outputs", 10000),
               ("softmax", 250), ("lets", 200), ("shared", 200), ("layers", 50),
               ("models", 2000)]


def compile_once(attnc, source, work):
    """Seconds and peak resident kilobytes of one `attnc MODEL -o OBJ`."""
    path = os.path.join(work, "model.attn")
    with open(path, "w") as f:
        f.write(source)
    start = time.monotonic()
    proc = subprocess.Popen([attnc, path, "-o", os.path.join(work, "model.o")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        how = f"was killed by signal {-code}" if code < 0 else f"exited with {code}"
        sys.exit(f"compile_scaling: attnc {how} on {path}:\n{stderr}")
    return seconds, usage.ru_maxrss


def measure(attnc, source, work, repeat):
    runs = [compile_once(attnc, source, work) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def growth(small, large, base, floor):
    """How many times the part above `base` grew (never dividing by less than floor)."""
    return max(large - base, 0.0) / max(small - base, floor)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attnc", required=True)
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-ratio", type=float, default=7.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="attnc-scaling-") as work:
        if args.large:
            print(f"{'model':<18} {'seconds':>8} {'peak MiB':>9}")
            for family, n in LARGE_SIZES:
                seconds, kib = compile_once(args.attnc, model(family, n), work)
                print(f"{family + ' ' + str(n):<18} {seconds:8.2f} {kib / 1024:9.0f}", flush=True)
            return 0

        base_s, base_kib = measure(args.attnc, model("outputs", 1), work, args.repeat)
        print(f"smallest model: {base_s:.2f} s, {base_kib / 1024:.0f} MiB")
        failures = []
        for family, n in TEST_SIZES:
            s1, m1 = measure(args.attnc, model(family, n), work, args.repeat)
            s4, m4 = measure(args.attnc, model(family, 4 * n), work, args.repeat)
            # Floors: 50 ms and 4 MiB, below which growth is noise.
            t_ratio = growth(s1, s4, base_s, 0.05)
            m_ratio = growth(m1, m4, base_kib, 4096)
            print(f"{family:<8} N={n:<6} {s1:6.2f} s -> 4N {s4:6.2f} s: x{t_ratio:4.1f};"
                  f" {m1 / 1024:5.0f} -> {m4 / 1024:5.0f} MiB: x{m_ratio:4.1f}", flush=True)
            for what, ratio in (("time", t_ratio), ("memory", m_ratio)):
                if ratio > args.max_ratio:
                    failures.append(f"{family}: {what} grew x{ratio:.1f} from N={n} to 4N "
                                    f"(at most x{args.max_ratio:g} allowed; linear is x4)")
        for f in failures:
            print("FAIL: " + f)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
