"""Refuse what a changelog cannot say: a version released twice, before any release fixes and removals, a breaking
change in a release that is not a new major version, and a version_added that no release is.

Usage: release_check.py VERSION [ROOT]   (ROOT: the collection, default this repository)

Before the first release there is no earlier version for a bugfixes, breaking_changes, removed_features or
security_fixes entry to be about: such a fragment must describe what the release does instead
(minor_changes, major_changes, known_issues). After it, a breaking_changes or removed_features entry needs a
new major version (semantic versioning, which Galaxy's versions follow), and every version_added in the
plugins' documentation names a release: an earlier one, or VERSION. tools/release.sh runs this after
antsibull-changelog lint.
"""

import re
import sys
from pathlib import Path

import yaml

NOT_BEFORE_A_RELEASE = ("bugfixes", "breaking_changes", "removed_features", "security_fixes")
NEED_A_MAJOR = ("breaking_changes", "removed_features")
VERSION_ADDED = re.compile(r"^\s*version_added:\s*[\"']?([0-9][^\"'\s]*)", re.MULTILINE)


def _fragments(root):
    for fragment in sorted((root / "changelogs" / "fragments").glob("*.y*ml")):
        yield fragment, yaml.safe_load(fragment.read_text(encoding="utf-8")) or {}


def _major(version):
    return int(version.split(".", 1)[0])


def _versions_added(root, version, releases):
    """Sentences for each version_added in the plugins' documentation that is neither released nor ``version``."""
    known = {str(release) for release in releases} | {version}
    found = []
    for path in sorted((root / "plugins").rglob("*")):
        if path.suffix not in (".py", ".yml", ".yaml") or not path.is_file():
            continue
        for added in VERSION_ADDED.findall(path.read_text(encoding="utf-8")):
            if added not in known:
                found.append(f"{path.relative_to(root)}: version_added {added} is no release; this one is {version}")
    return found


def problems(version, root):
    """Sentences saying what is wrong, none if the release may be cut."""
    changes = yaml.safe_load((root / "changelogs" / "changelog.yaml").read_text(encoding="utf-8")) or {}
    releases = changes.get("releases") or {}
    if version in releases:
        return [f"{version} is already released in changelogs/changelog.yaml"]
    if releases or changes.get("ancestor"):
        newest = max((str(release) for release in releases), key=lambda v: tuple(int(part) for part in v.split(".")), default=None)
        found = _versions_added(root, version, releases)
        if newest and _major(version) <= _major(newest):
            found += [
                f"{fragment.relative_to(root)}: {section} - a breaking change needs a new major version, not {version} after {newest}"
                for fragment, data in _fragments(root)
                for section in NEED_A_MAJOR
                if data.get(section)
            ]
        return found
    found = []
    for fragment, data in _fragments(root):
        found += [
            f"{fragment.relative_to(root)}: {section} - {version} is the first release, so this entry is about code that was never "
            "released; describe what the release does instead (minor_changes, major_changes, known_issues)"
            for section in NOT_BEFORE_A_RELEASE
            if data.get(section)
        ]
    return found


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent.parent
    found = problems(argv[1], root)
    for problem in found:
        print(f"release: FAIL: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
