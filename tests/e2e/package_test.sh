#!/bin/sh
# Installs attnc from BUILD into a fresh prefix, then configures, builds and
# runs the user project tests/e2e/package/ against it with find_package(attnc)
# and attnc_add_model, as docs/usage.md tells users to.
# usage: package_test.sh BUILD PROJECT WORKDIR
# ATTNC_LINK_FLAGS: extra link flags (the sanitizers an instrumented runtime needs).
set -eu
build=$1 project=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
cmake -S "$project" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_EXE_LINKER_FLAGS="${ATTNC_LINK_FLAGS:-}" >"$work/configure.log"
cmake --build "$work/build"
"$work/build/app"
# The installed driver names the installed runtime, for build scripts and
# the Python package.
test "$("$work/prefix/bin/attnc" --print-runtime-library)" = "$work/prefix/lib/libattnc_runtime.a"
test "$("$work/prefix/bin/attnc" --print-include-dir)" = "$work/prefix/include"
test -f "$work/prefix/include/attnc/runtime.h"
