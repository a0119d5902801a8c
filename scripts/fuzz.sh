#!/usr/bin/env bash
# Builds one of the libFuzzer targets of tests/fuzz and runs it for SECONDS
# (default 60), seeded with examples/*.attn and the lit tests' models (or,
# for weights, with small weights files of each format).
#
#   scripts/fuzz.sh [frontend|compile|weights] [SECONDS] [libFuzzer options...]
#
# frontend: parse and check arbitrary bytes; compile: also compile every
# model that checks to LLVM IR at -O0 and -O2; weights: open arbitrary bytes
# as a weights file, read its tensors and load a model's params from it. The build lives in build-fuzz
# (ATTNC_FUZZ_BUILD_DIR), configured once with clang-19 and -DATTNC_FUZZ=ON.
# The corpus the fuzzer grows is kept in BUILD/fuzz-corpus/TARGET between
# runs; a crashing, hanging or memory-hungry input is saved in
# BUILD/fuzz-crashes/TARGET and the script exits non-zero (libFuzzer's status).
# See docs/testing.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-frontend}
seconds=${2:-60}
case "$target" in
  frontend|compile|weights) ;;
  *) echo "usage: scripts/fuzz.sh [frontend|compile|weights] [SECONDS] [libFuzzer options...]" >&2
     exit 2 ;;
esac
shift $(( $# < 2 ? $# : 2 ))

build=${ATTNC_FUZZ_BUILD_DIR:-$root/build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  CC=${ATTNC_FUZZ_CC:-clang-19} CXX=${ATTNC_FUZZ_CXX:-clang++-19} \
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNC_FUZZ=ON
fi
cmake --build "$build" --target "fuzz_$target" -j "${ATTNC_JOBS:-2}"

corpus=$build/fuzz-corpus/$target
crashes=$build/fuzz-crashes/$target
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$corpus" "$crashes"
# The seeds are copied, numbered, so that equal names in different folders
# do not collide; the repository holds no copy of them.
n=0
dict=(-dict="$root/tests/fuzz/attn.dict")
if [ "$target" = weights ]; then
  inputs=$root/tests/lit/Driver/Inputs
  python3 "$inputs/safetensors.py" "$seeds/1.safetensors" w=F32:4,4:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 \
    b=F16:4:1,2,3,4 pos=F32:2,4:1,2,3,4,5,6,7,8 idx=I64:2:0,1
  python3 "$inputs/npy.py" "$seeds/2.npy" '<f4' shape=2,3 1 2 3 4 5 6
  dict=()
else
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    cp "$f" "$seeds/$n-$(basename "$f")"
  done < <(find "$root/examples" "$root/tests/lit" -name '*.attn' -print0)
fi

# A single input may take 10 s in the frontend (30 s to compile at -O0 and
# -O2 with the sanitizers) and 2 GiB; more is reported as a hang or a leak
# of memory, like a crash.
limit=10
[ "$target" = compile ] && limit=30
exec "$build/bin/fuzz_$target" -max_total_time="$seconds" -timeout="$limit" \
  -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
  -artifact_prefix="$crashes/" "$@" "$corpus" "$seeds"
