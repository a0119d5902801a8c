#!/bin/sh
# e2e.embed: writes a safetensors file, compiles affine.attn with
# --embed-weights, links embed_main.c and runs it (link_example.sh).
# usage: embed_test.sh SOURCE_DIR ATTNC RUNTIME_INCLUDE LIBRUNTIME WORKDIR
set -eu
source=$1 attnc=$2 include=$3 runtime=$4 work=$5
here=$source/tests/e2e/embed
mkdir -p "$work"
python3 "$source/tests/lit/Driver/Inputs/safetensors.py" "$work/w.safetensors" \
  proj.weight=F32:3,2:0.5,-1,0.25,2,1,0 proj.bias=F32:2:0.5,-0.5
"$source/tests/e2e/link_example.sh" "$attnc" "$here/affine.attn" "$here/embed_main.c" \
  "$include" "$runtime" "$work" c --embed-weights "$work/w.safetensors"
