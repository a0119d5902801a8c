#!/usr/bin/env bash
# Differential testing campaign: random valid models compiled at -O0 and -O2
# against the reference interpreter (tests/difftest/difftest.py).
#
#   scripts/difftest.sh --count 2000 --seed 42 [--jobs 2] [--work DIR] [...]
#
# Uses the attnc of $ATTNC_BUILD_DIR (default ./build), building it if needed.
# Failing models are minimised and written to --work (default: a fresh
# temporary directory); the exit status is 1 when any program failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTNC_BUILD_DIR:-$root/build}
if [ ! -x "$build/bin/attnc" ]; then
  ATTNC_BUILD_DIR=$build "$root/scripts/build.sh"
fi
exec python3 "$root/tests/difftest/difftest.py" --attnc "$build/bin/attnc" "$@"
