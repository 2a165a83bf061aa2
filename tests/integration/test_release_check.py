"""tools/release_check.py, which tools/release.sh runs after antsibull-changelog lint: no version released
twice, before the first release no fragment about code never released, a breaking change only in a new major
version, and no version_added that names no release."""

import subprocess

import yaml

from conftest import BIN
from conftest import ROOT


def _changelogs(tmp_path, fragments, changelog=None):
    (tmp_path / "changelogs" / "fragments").mkdir(parents=True)
    (tmp_path / "changelogs" / "changelog.yaml").write_text(yaml.safe_dump(changelog or {"ancestor": None, "releases": {}}), encoding="utf-8")
    for name, data in fragments.items():
        (tmp_path / "changelogs" / "fragments" / name).write_text(yaml.safe_dump(data), encoding="utf-8")
    return subprocess.run([BIN / "python", ROOT / "tools" / "release_check.py", "1.0.0", tmp_path], capture_output=True, text=True, check=False)


def _next_release():
    """The version the fragments call for after the newest one changelog.yaml records (1.0.0 before any): the next
    major with a breaking change or a removal among them, else the next minor."""
    changes = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text(encoding="utf-8")) or {}
    released = [tuple(int(part) for part in version.split(".")) for version in changes.get("releases") or {}]
    if not released:
        return "1.0.0"
    major, minor, _patch = max(released)
    fragments = [yaml.safe_load(path.read_text(encoding="utf-8")) or {} for path in (ROOT / "changelogs" / "fragments").glob("*.yml")]
    if any(data.get("breaking_changes") or data.get("removed_features") for data in fragments):
        return f"{major + 1}.0.0"
    return f"{major}.{minor + 1}.0"


def test_release_check_passes_this_repositorys_fragments():
    result = subprocess.run([BIN / "python", ROOT / "tools" / "release_check.py", _next_release()], capture_output=True, text=True, check=False)
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


def test_after_a_release_a_breaking_change_needs_a_new_major_version(tmp_path):
    released = {"ancestor": None, "releases": {"1.0.0": {"release_date": "2026-11-29"}}}
    _changelogs(tmp_path, {"1-feature.yml": {"minor_changes": ["x - does y."]}, "2-break.yml": {"removed_features": ["x - option z removed."]}}, released)

    def check(version):
        return subprocess.run([BIN / "python", ROOT / "tools" / "release_check.py", version, tmp_path], capture_output=True, text=True, check=False)

    minor = check("1.1.0")
    assert minor.returncode == 1
    assert "changelogs/fragments/2-break.yml: removed_features - a breaking change needs a new major version, not 1.1.0 after 1.0.0" in minor.stderr
    assert "1-feature.yml" not in minor.stderr
    assert check("2.0.0").returncode == 0


def test_a_version_added_that_names_no_release_is_refused(tmp_path):
    released = {"ancestor": None, "releases": {"1.0.0": {"release_date": "2026-11-29"}}}
    _changelogs(tmp_path, {"1-feature.yml": {"minor_changes": ["x - does y."]}}, released)
    (tmp_path / "plugins" / "modules").mkdir(parents=True)
    (tmp_path / "plugins" / "modules" / "old.py").write_text('DOCUMENTATION = """\nversion_added: 1.0.0\n"""\n', encoding="utf-8")
    (tmp_path / "plugins" / "modules" / "new.py").write_text('DOCUMENTATION = """\nversion_added: 1.2.0\n"""\n', encoding="utf-8")
    result = subprocess.run([BIN / "python", ROOT / "tools" / "release_check.py", "1.1.0", tmp_path], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "release: FAIL: plugins/modules/new.py: version_added 1.2.0 is no release; this one is 1.1.0"
    result = subprocess.run([BIN / "python", ROOT / "tools" / "release_check.py", "1.2.0", tmp_path], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
