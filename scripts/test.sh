#!/usr/bin/env bash
# Builds attnc (if needed) and runs the whole test suite: GoogleTest units,
# lit/FileCheck tests and the end-to-end example tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTNC_BUILD_DIR:-$root/build}
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "${ATTNC_JOBS:-2}" "$@"
