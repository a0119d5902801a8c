#!/usr/bin/env bash
# Builds and runs the attnc benchmark (docs/performance.md). Every argument is
# passed to attnc_bench, e.g.
#   scripts/bench.sh                  # the full run (minutes; the budgets keep it under 10)
#   scripts/bench.sh --quick          # two attention shapes and the additive case
#   scripts/bench.sh --threads 1 --shapes 'd64_*'
#   scripts/bench.sh --help
#   scripts/bench.sh --peers [--threads N] [--cases 'senet,cbam'] [--min-time SEC]
#       whole models against PyTorch, ONNX Runtime and OpenVINO
#       (bench/peers/peers.py), from a venv it makes the first time
#       ($ATTNC_PEERS_VENV, default <bench build>/peers-venv; several GB)
# The benchmark has its own build directory (default ./build-bench, or
# $ATTNC_BENCH_BUILD_DIR; pointing it at ./build reuses that build), configured
# with -DATTNC_BUILD_BENCH=ON. Build output goes to stderr, so stdout carries
# only the report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTNC_BENCH_BUILD_DIR:-$root/build-bench}
jobs=${ATTNC_JOBS:-2}

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNC_BUILD_BENCH=ON \
    ${ATTNC_CMAKE_ARGS:-} >&2
elif ! grep -q '^ATTNC_BUILD_BENCH:BOOL=ON$' "$build/CMakeCache.txt"; then
  cmake -DATTNC_BUILD_BENCH=ON "$build" >&2
fi
if [ "${1:-}" = "--peers" ]; then
  shift
  venv=${ATTNC_PEERS_VENV:-$build/peers-venv}
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import numpy' 2>/dev/null; then
    echo "bench.sh: installing the peers into $venv (several GB from PyPI)" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q -r "$root/bench/peers/requirements.txt" >&2
  fi
  cmake --build "$build" --target attnc attnc_runtime -j "$jobs" >&2
  exec "$venv/bin/python" -W ignore::DeprecationWarning "$root/bench/peers/peers.py" \
    --attnc "$build/bin/attnc" --runtime "$build/runtime/libattnc_runtime.a" "$@"
fi
if ! cmake --build "$build" --target attnc_bench -j "$jobs" >&2; then
  if ! grep -q 'add_subdirectory(bench' "$root/CMakeLists.txt"; then
    echo "bench.sh: the top-level CMakeLists.txt does not add bench/ when" \
      "ATTNC_BUILD_BENCH is ON (see docs/performance.md)" >&2
  fi
  exit 1
fi
exec "$build/bin/attnc_bench" "$@"
