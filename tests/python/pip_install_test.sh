#!/bin/sh
# Installs the Python package as users do (pip install ./python, into a
# fresh venv that sees the system's NumPy and pytest) and runs its pytest
# suite against that installed copy, with ATTNC naming the driver.
# usage: pip_install_test.sh SOURCE_DIR ATTNC WORKDIR
# The interpreter: tests/python_with.sh's (one with NumPy, pytest and venv).
set -eu
source=$1 attnc=$2 work=$3
python=$("$source/tests/python_with.sh" numpy pytest venv)
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
