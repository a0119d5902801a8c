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
