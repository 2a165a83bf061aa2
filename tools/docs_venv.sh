#!/usr/bin/env bash
# The docs and release virtualenv, build/docs-venv, from tests/requirements-docs.txt pinned by
# tests/constraints-docs.txt; rebuilt only when either changes. Kept apart from .venv so that
# `make test`'s bootstrap does not grow. Prints the venv's bin directory.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=$PWD/build/docs-venv
STAMP=$VENV/.hybridops-requirements
want=$(cat tests/requirements-docs.txt tests/constraints-docs.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "docs_venv: creating $VENV from tests/requirements-docs.txt (pinned by tests/constraints-docs.txt)" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements-docs.txt -c tests/constraints-docs.txt \
    >"$VENV.log" 2>&1 || { cat "$VENV.log" >&2; exit 1; }
  echo "$want" > "$STAMP"
fi
echo "$VENV/bin"
