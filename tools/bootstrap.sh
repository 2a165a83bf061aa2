#!/usr/bin/env bash
# Prepare a fresh machine that has only Python 3.11: the virtual environment
# (pinned), ansible-test's offline pip bootstrap, and the collection tree that
# ansible-test and ansible-playbook need (ansible_collections/hybridops/ssm with
# amazon.aws beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=$ROOT/.venv
STAMP=$VENV/.hybridops-requirements

want=$(cat tests/requirements.txt tests/constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: creating $VENV from tests/requirements.txt (pinned by tests/constraints.txt)"
  "$PYTHON" -m venv "$VENV"
  # The pinned ansible bundles some 15,000 Python files of collections that the checks never import;
  # byte-compiling them took most of a minute of CPU. So pip compiles nothing, and then everything
  # but those collections is compiled on all CPUs (amazon.aws is used, so it is compiled too).
  # uv (pinned below like the rest) installs the 110-odd pinned packages in a few seconds where pip took 35-40 s
  # of a clean clone's make test; pip stays the fallback if uv cannot run here.
  uv_pin=$(grep -m1 '^uv==' tests/constraints.txt)
  if ! { "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-compile "$uv_pin" \
         && "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -r tests/requirements.txt -c tests/constraints.txt; }; then
    echo "bootstrap: uv could not install the requirements; pip installs them instead"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-compile -r tests/requirements.txt -c tests/constraints.txt
  fi
  "$VENV/bin/python" -m compileall -q -j 0 -x '/ansible_collections/(?!amazon/)' \
    "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null
  echo "$want" > "$STAMP"
fi

# ansible-test bootstraps pip in its virtual environments with a get-pip.py
# that it downloads from a host this network does not reach; this stand-in
# uses the standard library's ensurepip instead.
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
for version in 24_2 25_1; do
  cp tools/get_pip_offline.py "$cache/get_pip_${version}.py"
done

# The collection tree: a copy of the working tree (ansible-test resolves
# symlinks, so a link to the repository would not be "inside"
# ansible_collections), plus the amazon.aws that the pinned ansible bundles.
TREE=$ROOT/build/collections/ansible_collections
mkdir -p "$TREE/hybridops"
rm -rf "$TREE/hybridops/ssm" && mkdir -p "$TREE/hybridops/ssm"
tar -C "$ROOT" -cf - \
  --exclude ./.venv --exclude ./build --exclude ./.git --exclude ./tests/output \
  --exclude __pycache__ --exclude .pytest_cache --exclude '*.tar.gz' . \
  | tar -C "$TREE/hybridops/ssm" -xf -
# ansible-test lists a collection's files with git when it sits in a work
# tree; the copy lives under this repository's ignored build/, so make it a
# work tree of its own.
git -C "$TREE/hybridops/ssm" init -q
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ln -sfn "$site/ansible_collections/amazon" "$TREE/amazon"
