#!/usr/bin/env python3
"""Differential testing of attnc: random valid models, compiled at -O0 and
-O2, against the reference interpreter.

  difftest.py --attnc PATH [--count N] [--seed S] [--jobs J] [--batch M]
              [--work DIR] [--levels O0,O2] [--no-minimise]
  difftest.py --attnc PATH --regressions DIR

Program i of seed S is drawn from random.Random("S:i"), so any program can be
regenerated alone. Each is checked with `attnc -fsyntax-only`; one the
checker rejects is a generator bug: it is counted, reported and replaced by a
new draw (up to 5 per slot). Accepted models are grouped into files of
--batch models (one compilation and one JIT per file and level) and run with
`attnc run FILE --reference --json` at each level; every symbolic dim of a
file gets one value. A file whose run fails is rerun model by model; each
failing model is then minimised (by dropping parts of its spec and
shrinking dims while it still fails the same way) and written to --work.

Exit status: 0 when every program matched the reference, 1 otherwise.
"""

import argparse
import concurrent.futures
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

RUN_TIMEOUT = 300


def run(cmd, timeout=RUN_TIMEOUT):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, text=True, errors="replace")
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", "", "timed out after %d s" % timeout


class Tester:
    def __init__(self, attnc, work, threads):
        self.attnc = attnc
        self.work = work
        self.threads = threads

    def write(self, stem, text):
        path = os.path.join(self.work, stem + ".attn")
        with open(path, "w") as f:
            f.write(text)
        return path

    def syntax_ok(self, path):
        rc, _, err = run([self.attnc, path, "-fsyntax-only"], timeout=60)
        return rc == 0, err

    def run_file(self, path, dims, level):
        """Runs every model of `path`; returns (verdict, {model: verdict}, detail).
        A verdict is "ok", "mismatch", "error" (attnc exit 1 without
        results), "crash" (any other exit) or "timeout"."""
        cmd = [self.attnc, "run", path, "--reference", "--json", "-" + level,
               "--threads", str(self.threads)]
        for name, value in sorted(dims.items()):
            cmd += ["--dim", "%s=%d" % (name, value)]
        rc, out, err = run(cmd)
        if rc == "timeout":
            return "timeout", {}, err
        if rc not in (0, 1):
            return "crash", {}, "exit %s\n%s" % (rc, err[-4000:])
        try:
            results = json.loads(out)
        except ValueError:
            return "error", {}, err[-4000:]
        per_model = {}
        for entry in results:
            bad = [o for o in entry["outputs"] if not o.get("ok", False)]
            per_model[entry["model"]] = "mismatch" if bad else "ok"
            if bad:
                err += "\n%s: %s" % (entry["model"], json.dumps(bad))
        verdict = "ok" if rc == 0 and all(v == "ok" for v in per_model.values()) else "mismatch"
        if rc == 1 and not per_model:
            verdict = "error"
        return verdict, per_model, err[-4000:]

    def check_one(self, spec, stem, level):
        text = gen.render(spec, "m")
        path = self.write(stem, text)
        ok, err = self.syntax_ok(path)
        if not ok:
            return "rejected", err
        verdict, _, detail = self.run_file(path, gen.dims_of(spec), level)
        return verdict, detail

    def minimise(self, spec, stem, level, verdict, budget_s):
        """Greedy: keep any smaller spec that fails with the same verdict."""
        deadline = time.time() + budget_s
        best = spec
        improved = True
        while improved and time.time() < deadline:
            improved = False
            for candidate in gen.reductions(best):
                if time.time() >= deadline:
                    break
                v, _ = self.check_one(candidate, stem + "-try", level)
                if v == verdict:
                    best = candidate
                    improved = True
                    break
        return best


def draw(seed, index, tester, stats):
    """Program `index`: the first draw the checker accepts."""
    for attempt in range(5):
        key = "%d:%d" % (seed, index) if attempt == 0 else "%d:%d:%d" % (seed, index, attempt)
        spec = gen.make_spec(random.Random(key))
        text = gen.render(spec, "p%d" % index)
        path = tester.write("check-%d" % index, text)
        ok, err = tester.syntax_ok(path)
        os.unlink(path)
        if ok:
            return spec
        with stats["lock"]:
            stats["rejected"] += 1
            stats["rejected_examples"].append((key, text, err.strip().splitlines()[:3]))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attnc", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2, help="--threads of each attnc run")
    ap.add_argument("--levels", default="O0,O2")
    ap.add_argument("--work", help="where failing models go (default: a temporary directory)")
    ap.add_argument("--no-minimise", action="store_true")
    ap.add_argument("--minimise-seconds", type=float, default=120)
    ap.add_argument("--regressions", help="run the models of this directory instead")
    args = ap.parse_args()

    work = args.work or tempfile.mkdtemp(prefix="attnc-difftest-")
    os.makedirs(work, exist_ok=True)
    tester = Tester(os.path.abspath(args.attnc), work, args.threads)
    levels = [l.strip() for l in args.levels.split(",") if l.strip()]
    if args.regressions:
        return run_regressions(tester, args.regressions, levels)

    start = time.time()
    stats = {"rejected": 0, "rejected_examples": [], "lock": threading.Lock()}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        specs = list(pool.map(lambda i: draw(args.seed, i, tester, stats), range(args.count)))
    programs = [(i, s) for i, s in enumerate(specs) if s is not None]
    t_generated = time.time()

    # Batches share dims: one value per symbolic dim name, drawn per batch.
    batches = []
    for b in range(0, len(programs), args.batch):
        rng = random.Random("%d:batch:%d" % (args.seed, b))
        dims = {"B": rng.randint(1, 3), "H": rng.randint(1, 3),
                "S": rng.choice([1, 2, 5, 7, 13, 20, 33, 65]),
                "T": rng.choice([1, 2, 3, 6, 11, 17, 40, 70]),
                "D": rng.choice([1, 2, 3, 5, 8, 17]), "N": rng.randint(1, 3),
                "KH": rng.randint(1, 2)}
        members = []
        for i, spec in programs[b:b + args.batch]:
            spec["dims"].update(dims)
            members.append((i, spec))
        batches.append(members)

    def run_batch(members, level):
        text = "".join(gen.render(spec, "p%d" % i) for i, spec in members)
        stem = "batch-%d-%s" % (members[0][0], level)
        path = tester.write(stem, text)
        used = {}
        for _, spec in members:
            used.update(gen.dims_of(spec))
        verdict, per_model, detail = tester.run_file(path, used, level)
        if verdict == "ok":
            os.unlink(path)
            return []
        # Attribute: rerun the suspects alone.
        suspects = [(i, s) for i, s in members
                    if verdict in ("crash", "error", "timeout") or per_model.get("p%d" % i) != "ok"]
        failures = []
        for i, spec in suspects:
            v, d = tester.check_one(spec, "p%d-%s" % (i, level), level)
            if v not in ("ok", "rejected"):
                failures.append((i, spec, level, v, d))
        if not failures:
            failures.append((members[0][0], None, level, "batch-only " + verdict, detail))
        return failures

    failures = []
    jobs = [(m, level) for m in batches for level in levels]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for result in pool.map(lambda job: run_batch(*job), jobs):
            failures += result
    t_run = time.time()

    print("difftest: seed %d, %d programs drawn, %d accepted by the checker, %d draws rejected "
          "(generator bugs, redrawn), %d batch files, %d attnc runs"
          % (args.seed, args.count, len(programs), stats["rejected"], len(batches), len(jobs)))
    for key, text, err in stats["rejected_examples"][:5]:
        print("  rejected draw %s: %s" % (key, " / ".join(err)))
    print("difftest: generation %.1f s, runs %.1f s" % (t_generated - start, t_run - t_generated))

    for i, spec, level, verdict, detail in failures:
        print("\nFAILURE program %d at -%s: %s\n%s" % (i, level, verdict, detail.strip()[-2000:]))
        if spec is None:
            continue
        if not args.no_minimise:
            spec = tester.minimise(spec, "p%d-%s" % (i, level), level, verdict, args.minimise_seconds)
        text = gen.render(spec, "m")
        dims = gen.dims_of(spec)
        path = tester.write("failure-p%d-%s" % (i, level), text)
        print("minimised model (%s), run with:\n  attnc run %s --reference -%s %s\n%s"
              % (path, path, level, " ".join("--dim %s=%d" % kv for kv in sorted(dims.items())), text))
    print("\ndifftest: %d failure(s) in %d programs x %d levels, %.1f s in all"
          % (len(failures), len(programs), len(levels), time.time() - start))
    return 1 if failures else 0


def run_regressions(tester, directory, levels):
    """Each file holds one model and a line `# DIMS: S=3 T=5 ...`."""
    bad = 0
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".attn"):
            continue
        path = os.path.join(directory, name)
        dims = {}
        with open(path) as f:
            for line in f:
                if line.startswith("# DIMS:"):
                    for item in line.split(":", 1)[1].split():
                        k, v = item.split("=")
                        dims[k] = int(v)
        for level in levels:
            verdict, _, detail = tester.run_file(path, dims, level)
            print("%s -%s: %s" % (name, level, verdict))
            if verdict != "ok":
                bad += 1
                print(detail.strip()[-1500:])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
