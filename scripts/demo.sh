#!/usr/bin/env bash
# The main job: compile examples/mha.attn, link it into its C program, run it,
# print the output's checksum, and compare that output with the reference
# interpreter on the same inputs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTNC_BUILD_DIR:-$root/build}
work=$build/demo
mkdir -p "$work"
attnc=$build/bin/attnc

echo "== attnc examples/mha.attn -o $work/mha.o"
"$attnc" "$root/examples/mha.attn" -o "$work/mha.o"
echo "== cc examples/mha_main.c mha.o -lattnc_runtime"
cc -std=c11 -O2 "$root/examples/mha_main.c" "$work/mha.o" -I"$work" -I"$root/runtime/include" \
   -I"$root/examples" "$build/runtime/libattnc_runtime.a" -lpthread -lm -ldl -o "$work/mha"
echo "== ./mha B=2 S=37 save=$work"
"$work/mha" B=2 S=37 save="$work"
echo "== the program's output against the reference interpreter (double precision)"
"$attnc" run "$root/examples/mha.attn" --dim B=2 --dim S=37 \
  --input x=@"$work/x.npy" --input wq=@"$work/wq.npy" --input wk=@"$work/wk.npy" \
  --input wv=@"$work/wv.npy" --input wo=@"$work/wo.npy" \
  --reference --check y=@"$work/y.npy"
