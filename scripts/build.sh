#!/usr/bin/env bash
# Configures (once) and builds attnc into ./build with two jobs; an unchanged
# tree rebuilds nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTNC_BUILD_DIR:-$root/build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${ATTNC_CMAKE_ARGS:-}
fi
cmake --build "$build" -j "${ATTNC_JOBS:-2}"
