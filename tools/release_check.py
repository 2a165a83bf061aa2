"""Refuse what a changelog cannot say: a version released twice, or, before any release, fixes and removals.

Usage: release_check.py VERSION [ROOT]   (ROOT: the collection, default this repository)

Before the first release there is no earlier version for a bugfixes, breaking_changes, removed_features or
security_fixes entry to be about: such a fragment must describe what the release does instead
(minor_changes, major_changes, known_issues). tools/release.sh runs this after antsibull-changelog lint.
"""

import sys
from pathlib import Path

import yaml

NOT_BEFORE_A_RELEASE = ("bugfixes", "breaking_changes", "removed_features", "security_fixes")


def problems(version, root):
    """Sentences saying what is wrong, none if the release may be cut."""
    changes = yaml.safe_load((root / "changelogs" / "changelog.yaml").read_text(encoding="utf-8")) or {}
    releases = changes.get("releases") or {}
    if version in releases:
        return [f"{version} is already released in changelogs/changelog.yaml"]
    if releases or changes.get("ancestor"):
        return []
    found = []
    for fragment in sorted((root / "changelogs" / "fragments").glob("*.y*ml")):
        data = yaml.safe_load(fragment.read_text(encoding="utf-8")) or {}
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
