#!/bin/sh
# Compiles a model with attnc, links the example's C program against the
# object and the runtime the way ABI.md tells users to, and runs it.
# usage: link_example.sh ATTNC MODEL.attn MAIN.c RUNTIME_INCLUDE LIBRUNTIME WORKDIR
#                        [LANGUAGE [ATTNC OPTION...]]
# LANGUAGE: c (the default: the program is C11) or c++ (the same source as C++17).
set -eu
attnc=$1 model=$2 main=$3 include=$4 runtime=$5 work=$6
language=${7:-c}
shift 6
if [ $# -gt 0 ]; then shift; fi
case $language in
  c) compile="cc -std=c11 -pedantic" ;;
  c++) compile="c++ -std=c++17 -pedantic -x c++" ;;
  *) echo "link_example.sh: unknown language '$language' (expected c or c++)" >&2; exit 2 ;;
esac
mkdir -p "$work"
stem=$(basename "$model" .attn)
"$attnc" "$model" "$@" -o "$work/$stem.o"
test -f "$work/$stem.h"
# ATTNC_LINK_FLAGS: extra flags, e.g. the sanitizers an instrumented runtime needs.
$compile -Wall -Wextra -Werror -O2 ${ATTNC_LINK_FLAGS:-} "$main" -x none "$work/$stem.o" \
   -I"$work" -I"$include" -I"$(dirname "$main")" "$runtime" -lpthread -lm -ldl -o "$work/$stem"
"$work/$stem"
