#!/bin/sh
# Compiles a model with attnc, links the example's C program against the
# object and the runtime the way ABI.md tells users to, and runs it.
# usage: link_example.sh ATTNC MODEL.attn MAIN.c RUNTIME_INCLUDE LIBRUNTIME WORKDIR
set -eu
attnc=$1 model=$2 main=$3 include=$4 runtime=$5 work=$6
mkdir -p "$work"
stem=$(basename "$model" .attn)
"$attnc" "$model" -o "$work/$stem.o"
test -f "$work/$stem.h"
# ATTNC_LINK_FLAGS: extra flags, e.g. the sanitizers an instrumented runtime needs.
cc -std=c11 -Wall -Wextra -Werror -O2 ${ATTNC_LINK_FLAGS:-} "$main" "$work/$stem.o" -I"$work" \
   -I"$include" -I"$(dirname "$main")" "$runtime" -lpthread -lm -ldl -o "$work/$stem"
"$work/$stem"
