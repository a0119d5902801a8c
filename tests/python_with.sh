#!/bin/sh
# Prints a python3 that imports every module named (ATTNC_TEST_PYTHON if set,
# else the first python3 on PATH, else /usr/bin/python3), or says which
# modules are missing and exits 1. scripts/install-deps.sh installs them.
# usage: python_with.sh MODULE...
if [ -n "${ATTNC_TEST_PYTHON:-}" ]; then
  echo "$ATTNC_TEST_PYTHON"
  exit 0
fi
imports=$(echo "$@" | tr ' ' ',')
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c "import $imports" 2>/dev/null; then
    command -v "$candidate"
    exit 0
  fi
done
echo "no python3 that imports $*: scripts/install-deps.sh installs them" >&2
exit 1
