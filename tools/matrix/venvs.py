"""`make matrix`: building a cell, once and cached under build/matrix/: its virtualenv (uv), amazon.aws from the
`ansible` wheel that bundles it, and a collection tree with a copy of this working tree."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from cells import AMAZON_AWS
from cells import BIN
from cells import ROOT
from cells import WORK


def find_python(minor):
    """The path of a real Python ``minor`` interpreter: this one, one on PATH, or pyenv's (whose shims refuse
    without PYENV_VERSION, so the interpreter itself is used)."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == minor:
        base = getattr(sys, "_base_executable", sys.executable)
        if base and Path(base).exists():
            return base
    on_path = shutil.which(f"python{minor}")
    if on_path and "shims" not in on_path:
        return on_path
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(pyenv_root.glob(f"versions/{minor}.*/bin/python{minor}"), key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)])
    if found:
        return str(found[-1])
    raise SystemExit(f"Python {minor} not found (PATH or {pyenv_root}/versions): ansible-core needs it; install it, e.g. `pyenv install {minor}`")


def _uv_env():
    env = dict(os.environ)
    env.update(UV_CACHE_DIR=str(WORK / "uv-cache"), UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    return env


def _run(command, log, env=None, cwd=ROOT):
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(str(c) for c in command)}\n")
        out.flush()
        return subprocess.run([str(c) for c in command], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode == 0


def build_venv(cell, log):
    """The cell's virtualenv (shared by the cells of one ansible-core, Python and boto), rebuilt when its spec changes."""
    uv = BIN / "uv"
    python = find_python(cell.python)
    spec = [f"ansible-core=={cell.core_version}", f"boto3=={cell.boto_version}", f"botocore=={cell.boto_version}"]
    stamp = cell.venv / ".matrix-spec"
    want = hashlib.sha256(json.dumps([python, spec, (ROOT / "tests" / "unit" / "requirements.txt").read_text()]).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return True
    shutil.rmtree(cell.venv, ignore_errors=True)
    env = _uv_env()
    venv_python = cell.venv / "bin" / "python"
    if not (
        _run([uv, "venv", "--quiet", "--python", python, cell.venv], log, env)
        and _run([uv, "pip", "install", "--quiet", "--python", venv_python, *spec], log, env)
    ):
        return False
    # ansible-test units --local runs in this virtualenv: its own unit-test requirements (and constraints) and ours.
    data = Path(subprocess.check_output([venv_python, "-c", "import ansible_test, os; print(os.path.dirname(ansible_test.__file__))"], text=True).strip())
    requirements = data / "_data" / "requirements"
    if not _run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            venv_python,
            *spec,
            "-r",
            requirements / "units.txt",
            "-r",
            ROOT / "tests" / "unit" / "requirements.txt",
            "-c",
            requirements / "constraints.txt",
        ],
        log,
        env,
    ):
        return False
    stamp.write_text(want)
    return True


def amazon_aws(version, log):
    """ansible_collections/amazon/aws of ``version``, extracted from the `ansible` wheel that bundles it."""
    target = WORK / "amazon.aws" / version
    done = target / ".extracted"
    if done.exists():
        return target / "ansible_collections" / "amazon"
    wheels = WORK / "wheels"
    wheel = wheels / f"ansible-{AMAZON_AWS[version]}-py3-none-any.whl"
    if not wheel.exists():
        # pip is the only client that downloads a wheel without installing it; the release may need a newer
        # Python than this one, which does not matter for the files taken from it.
        if not _run([BIN / "pip", "download", "--quiet", "--no-deps", "--ignore-requires-python", "-d", wheels, f"ansible=={AMAZON_AWS[version]}"], log):
            return None
    shutil.rmtree(target, ignore_errors=True)
    prefix = "ansible_collections/amazon/aws/"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target, [n for n in archive.namelist() if n.startswith(prefix)])
    manifest = json.loads((target / prefix / "MANIFEST.json").read_text())
    found = manifest["collection_info"]["version"]
    if found != version:
        raise SystemExit(f"ansible {AMAZON_AWS[version]} bundles amazon.aws {found}, not {version}: update AMAZON_AWS in tools/matrix/cells.py")
    done.write_text(version)
    return target / "ansible_collections" / "amazon"


def _ignored(directory, names):
    """What a copy of the working tree leaves out: virtualenvs, build outputs, git, caches."""
    top = Path(directory) == ROOT
    return [
        n
        for n in names
        if n in {"__pycache__", ".pytest_cache", ".ansible"}
        or n.endswith(".tar.gz")
        or (top and n in {".venv", "build", ".git"})
        or (Path(directory) == ROOT / "tests" and n == "output")
    ]


def build_tree(cell, amazon):
    """A copy of the working tree as hybridops.ssm (ansible-test resolves links, so a copy), amazon.aws beside it."""
    shutil.rmtree(cell.home / "collections", ignore_errors=True)
    shutil.copytree(ROOT, cell.tree, symlinks=True, ignore=_ignored)
    # ansible-test lists a collection's files with git when it sits in a work tree: make the copy one.
    subprocess.run(["git", "init", "-q", str(cell.tree)], check=True)
    (cell.tree.parent.parent / "amazon").symlink_to(amazon, target_is_directory=True)
