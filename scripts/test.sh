#!/usr/bin/env bash
# Builds attnc (if needed) and runs the test suite: GoogleTest units, the
# lit/FileCheck tests (dialect, passes, diagnostics, malformed models), the
# end-to-end example and numeric tests and the differential tests.
#
#   scripts/test.sh          the suite on the Release build (about 2 minutes
#                            once built; the build takes about 6)
#   scripts/test.sh --all    also the whole suite under AddressSanitizer and
#                            UndefinedBehaviorSanitizer (but the 200-program
#                            random difftest, run above) and a 60 s run of each
#                            fuzzer: what CI runs (about 26 minutes on 2 cores
#                            from a fresh clone)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTNC_BUILD_DIR:-$root/build}
all=0
if [ "${1:-}" = "--all" ]; then
  all=1
  shift
fi
"$root/scripts/build.sh"
(cd "$build" && ctest --output-on-failure -j "${ATTNC_JOBS:-2}" "$@")
if [ "$all" = 1 ]; then
  "$root/scripts/test-sanitizers.sh" -E '^difftest\.random$'
  "$root/scripts/fuzz.sh" frontend 60
  "$root/scripts/fuzz.sh" compile 60
  "$root/scripts/fuzz.sh" weights 60
fi
