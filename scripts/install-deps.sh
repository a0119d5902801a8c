#!/usr/bin/env bash
# Installs everything attnc needs to build and test, from Debian's packages.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends \
  cmake ninja-build g++ python3 python3-numpy python3-pytest python3-venv python3-pip \
  python3-setuptools \
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools clang-19 lld-19 libclang-rt-19-dev \
  zlib1g-dev libzstd-dev libxml2-dev libedit-dev libcurl4-openssl-dev \
  libgtest-dev libbenchmark-dev libopenblas-dev >/dev/null

# Halide 21 (the loop nests outside the attention and contraction kernels) from
# its PyPI wheel, which carries the C++ headers and libHalide.so: into a venv
# under .deps/, where CMake looks for it (cmake/FindHalideWheel.cmake).
root=$(cd "$(dirname "$0")/.." && pwd)
halide_venv=$root/.deps/halide-venv
if ! ls "$halide_venv"/lib/python3*/site-packages/halide/lib64/libHalide.so >/dev/null 2>&1; then
  python3 -m venv "$halide_venv"
  "$halide_venv/bin/pip" install -q --no-deps halide==21.0.0
fi
