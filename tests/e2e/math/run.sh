#!/bin/sh
# e2e.math: math_accuracy.py with a python3 that has NumPy.
# usage: run.sh SOURCE_DIR ATTNC WORKDIR
set -eu
python=$("$1/tests/python_with.sh" numpy)
exec "$python" -W ignore "$1/tests/e2e/math/math_accuracy.py" "$2" "$3"
