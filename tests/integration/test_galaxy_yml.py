"""galaxy.yml as ansible-galaxy builds it: build_ignore leaves out tooling, build outputs and caches at any
depth, and keeps tests/, COPYING and docs/docsite; COPYING is the license galaxy.yml names."""

import shutil
import subprocess
import tarfile

import yaml

from conftest import BIN
from conftest import ROOT

CACHES = [
    ".pytest_cache/v/cache/lastfailed",
    "tests/integration/.pytest_cache/v/x",
    "plugins/module_utils/_ssm/__pycache__/client.cpython-311.pyc",
    "tests/ssm_endpoint/__pycache__/server.cpython-311.pyc",
    "tests/ssm_endpoint/.ruff_cache/0.16.9/x",
    "tests/.mypy_cache/x.json",
    "roles/.ansible/x",
    ".ansible/x",
    "tests/output/junit/x.xml",
    "changelogs/.plugin-cache.yaml",
    "build/collections/x",
    "importer_result.json",
]


def _copy_tree(tmp_path):
    copy = tmp_path / "ssm"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "build", ".git", "*.tar.gz"), symlinks=True)
    return copy


def test_tarball_keeps_tests_and_docs_and_leaves_out_tooling_and_caches(tmp_path):
    copy = _copy_tree(tmp_path)
    for cache in CACHES:
        (copy / cache).parent.mkdir(parents=True, exist_ok=True)
        (copy / cache).write_text("x", encoding="utf-8")
    out = tmp_path / "out"
    subprocess.run([BIN / "ansible-galaxy", "collection", "build", "--output-path", out, copy], check=True, capture_output=True)
    (tarball,) = out.glob("hybridops-ssm-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())

    assert not sorted(names & set(CACHES)), "caches in the tarball"
    cache_dirs = {".pytest_cache", "__pycache__", ".ruff_cache", ".mypy_cache", ".ansible", "output"}
    assert not sorted(n for n in names if set(n.split("/")) & cache_dirs), "cache directories in the tarball"
    for left_out in ("tools", "build", "Makefile", "ruff.toml", ".ci", "tests/constraints.txt", "tests/requirements-docs.txt", "tests/constraints-docs.txt"):
        assert not [n for n in names if n == left_out or n.startswith(left_out + "/")], f"{left_out} is in the tarball"
    for kept in (
        "COPYING",
        "README.md",
        "meta/runtime.yml",
        "tests/config.yml",
        "tests/unit",
        "tests/integration/targets",
        "tests/ssm_endpoint/server.py",
        "docs/docsite/extra-docs.yml",
        "docs/docsite/links.yml",
        "changelogs/config.yaml",
    ):
        assert kept in names, f"{kept} is missing from the tarball"


def test_copying_is_the_license_galaxy_yml_names():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    text = (ROOT / "COPYING").read_text(encoding="utf-8")
    assert galaxy["license"] == ["GPL-3.0-or-later"]
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007")
    assert "END OF TERMS AND CONDITIONS" in text and "How to Apply These Terms to Your New Programs" in text
