"""The collection as Galaxy and Automation Hub get it: galaxy.yml's build_ignore, galaxy-importer's
configuration (tools/galaxy-importer.cfg), the docsite's page list (tools/docsite_rst.py --check) and the
release's changelog guard (tools/release_check.py). The docs build and the release themselves need the docs
virtualenv (make docs, make release) and are not run here.
"""

import shutil
import subprocess
import tarfile

import yaml

from conftest import BIN, ROOT

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


def test_importer_config_turns_on_automation_hubs_checks_by_their_real_names(monkeypatch):
    from galaxy_importer import config  # pylint: disable=import-outside-toplevel  # only the importer check needs it

    monkeypatch.setenv("GALAXY_IMPORTER_CONFIG", str(ROOT / "tools" / "galaxy-importer.cfg"))
    monkeypatch.setattr(config, "FILE_LOCATIONS", list(config.FILE_LOCATIONS))  # load() inserts into it
    data = config.ConfigFile.load()
    unknown = sorted(set(data) - set(config.Config.DEFAULTS))
    assert not unknown, f"options galaxy-importer does not know (ignored silently): {unknown}"
    cfg = config.Config(config_data=data)
    assert cfg.require_v1_or_greater is True
    assert cfg.check_required_tags is True
    assert cfg.run_ansible_lint is True and cfg.check_changelog is True


def _docsite_copy(tmp_path):
    copy = tmp_path / "ssm"
    for part in ("tools/docsite_rst.py", "galaxy.yml", "docs", "roles", "playbooks"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, copy / part)
        else:
            (copy / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, copy / part)
    return copy


def _docsite_check(tree):
    return subprocess.run([BIN / "python", tree / "tools" / "docsite_rst.py", "--check"], capture_output=True, text=True, check=False)


def test_docsite_lists_every_markdown_page_and_refuses_one_left_out(tmp_path):
    assert _docsite_check(ROOT).returncode == 0, _docsite_check(ROOT).stderr

    copy = _docsite_copy(tmp_path)
    (copy / "docs" / "support.md").write_text("# Support\n", encoding="utf-8")
    result = _docsite_check(copy)
    assert result.returncode == 1
    assert "docs/support.md: no entry 'support' in docs/docsite/extra-docs.yml" in result.stderr

    extra = copy / "docs" / "docsite" / "extra-docs.yml"
    (copy / "docs" / "support.md").unlink()
    extra.write_text(extra.read_text(encoding="utf-8") + "  - title: Gone\n    toctree:\n      - upgrading\n", encoding="utf-8")
    result = _docsite_check(copy)
    assert result.returncode == 1
    assert "entry 'upgrading' has no source" in result.stderr


def _changelogs(tmp_path, fragments, changelog=None):
    (tmp_path / "changelogs" / "fragments").mkdir(parents=True)
    (tmp_path / "changelogs" / "changelog.yaml").write_text(yaml.safe_dump(changelog or {"ancestor": None, "releases": {}}), encoding="utf-8")
    for name, data in fragments.items():
        (tmp_path / "changelogs" / "fragments" / name).write_text(yaml.safe_dump(data), encoding="utf-8")
    return subprocess.run([BIN / "python", ROOT / "tools" / "release_check.py", "1.0.0", tmp_path], capture_output=True, text=True, check=False)


def test_release_check_passes_this_repositorys_fragments():
    result = subprocess.run([BIN / "python", ROOT / "tools" / "release_check.py", "1.0.0"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_first_release_refuses_fixes_and_removals_naming_fragment_and_section(tmp_path):
    result = _changelogs(
        tmp_path,
        {
            "1-feature.yml": {"minor_changes": ["x - does y."]},
            "2-fix.yml": {"bugfixes": ["x - no longer z."], "minor_changes": ["x - w."]},
            "3-break.yml": {"breaking_changes": ["x - renamed."]},
        },
    )
    assert result.returncode == 1
    assert "changelogs/fragments/2-fix.yml: bugfixes - 1.0.0 is the first release" in result.stderr
    assert "changelogs/fragments/3-break.yml: breaking_changes" in result.stderr
    assert "1-feature.yml" not in result.stderr


def test_after_a_release_fixes_are_fine_and_a_version_is_not_released_twice(tmp_path):
    released = {"ancestor": None, "releases": {"1.0.0": {"release_date": "2026-11-29"}}}
    result = _changelogs(tmp_path, {"2-fix.yml": {"bugfixes": ["x - no longer z."]}}, released)
    assert result.returncode == 1
    assert "1.0.0 is already released in changelogs/changelog.yaml" in result.stderr

    result = subprocess.run([BIN / "python", ROOT / "tools" / "release_check.py", "1.0.1", tmp_path], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
