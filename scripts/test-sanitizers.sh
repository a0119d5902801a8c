#!/usr/bin/env bash
# Builds attnc, its runtime and every test with AddressSanitizer and
# UndefinedBehaviorSanitizer (-DATTNC_SANITIZE=ON) in build-asan, then runs
# the test suite there. Extra arguments go to ctest, e.g. a subset:
#
#   scripts/test-sanitizers.sh                  # everything
#   scripts/test-sanitizers.sh -E '^difftest'   # without the random programs
#   scripts/test-sanitizers.sh -R '^(runtime|abi)\.'
#
# Environment: ATTNC_ASAN_BUILD_DIR (default ./build-asan), ATTNC_JOBS
# (default 2), ATTNC_BUILD_LOCK (a file to flock around the build, for
# machines where builds take turns).
#
# attnc and attnc-opt carry their own ASan defaults (see
# tests/sanitizers/sanitizer_defaults.cpp); the lit tests that bound memory
# with `ulimit -v` run without that bound (see tests/lit/lit.cfg.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTNC_ASAN_BUILD_DIR:-$root/build-asan}
jobs=${ATTNC_JOBS:-2}
# Reports with stacks; stop at the first error of any kind. An allocation
# that cannot be satisfied returns NULL, as the C library's does, so that the
# out-of-memory paths run as they do without sanitizers.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-strict_string_checks=1:detect_stack_use_after_return=1:allocator_may_return_null=1}

start=$(date +%s)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNC_SANITIZE=ON
fi
if [ -n "${ATTNC_BUILD_LOCK:-}" ]; then
  flock "$ATTNC_BUILD_LOCK" cmake --build "$build" -j "$jobs"
else
  cmake --build "$build" -j "$jobs"
fi
built=$(date +%s)

status=0
(cd "$build" && ctest --output-on-failure -j "$jobs" "$@") || status=$?
end=$(date +%s)
echo "test-sanitizers: build $((built - start)) s, tests $((end - built)) s"
exit "$status"
