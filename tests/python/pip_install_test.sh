#!/bin/sh
# Installs the Python package as users do (pip install ./python, into a
# fresh venv that sees the system's NumPy and pytest) and runs its pytest
# suite against that installed copy, with ATTNC naming the driver.
# usage: pip_install_test.sh SOURCE_DIR ATTNC WORKDIR
# ATTNC_TEST_PYTHON: the interpreter (default: the first python3 on PATH, or
# /usr/bin/python3, that has NumPy, pytest and venv).
set -eu
source=$1 attnc=$2 work=$3
python=${ATTNC_TEST_PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c "import numpy, pytest, venv" 2>/dev/null; then
      python=$candidate
      break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "no python3 with NumPy, pytest and venv: scripts/install-deps.sh installs them" >&2
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
# A copy, so that the build leaves nothing in the source tree.
cp -R "$source/python" "$work/python"
"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-build-isolation --no-deps --no-index \
  "$work/python"
rm -rf "$work/python/attnc"
# The tests import the installed package (the copy's own is gone).
cd "$work"
ATTNC="$attnc" ATTNC_EXPECT_INSTALLED_IN="$work/venv" \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$work/python/tests"
