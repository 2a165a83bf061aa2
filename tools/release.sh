#!/usr/bin/env bash
# Cut a release, once every branch meant for it is merged: tools/release.sh [VERSION] (default 1.0.0), or
# `make release VERSION=x.y.z`. Run it on a clean checkout of main; it changes files and commits nothing:
#   1. the docs virtualenv (tools/docs_venv.sh: antsibull-changelog, antsibull-docs, pandoc) and the
#      collection tree (tools/bootstrap.sh, which also brings amazon.aws for ansible-doc);
#   2. antsibull-changelog lint on every fragment, then tools/release_check.py: a version released twice is
#      refused, and, while nothing has been released, so are bugfixes, breaking_changes, removed_features
#      and security_fixes entries (there is no earlier release for them to be about);
#   3. galaxy.yml's version := VERSION;
#   4. antsibull-changelog release --version VERSION: CHANGELOG.rst and a release in changelogs/changelog.yaml,
#      with the new modules, plugins, roles and playbooks read from their docs; the fragments are removed;
#   5. the docsite's extra docs (tools/docsite_rst.py) and the release tarball, built from this tree into
#      build/release/, then galaxy-importer on it with Automation Hub's checks (tools/galaxy-importer.cfg).
# It prints the git commands that commit and tag the release.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSION=${1:-1.0.0}
say() { echo "release: $*"; }
fail() { echo "release: FAIL: $*" >&2; exit 1; }

[[ $VERSION =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] \
  || fail "version '$VERSION' is not MAJOR.MINOR.PATCH (semantic versioning, as Galaxy requires)"
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
  say "warning: the work tree has uncommitted changes; they go into the release too:"
  git status --short
fi

DOCS_BIN=$(tools/docs_venv.sh)
tools/bootstrap.sh
MAIN_PATH="$ROOT/.venv/bin:$PATH"  # galaxy-importer runs ansible-doc and ansible-lint from .venv, with amazon.aws
export PATH="$DOCS_BIN:$PATH" ANSIBLE_COLLECTIONS_PATH="$ROOT/build/collections" ANSIBLE_LOCAL_TEMP="$ROOT/build/tmp"

say "antsibull-changelog lint"
antsibull-changelog lint || fail "antsibull-changelog lint found the problems above in changelogs/"

"$DOCS_BIN/python" tools/release_check.py "$VERSION" || exit 1

say "galaxy.yml version: $VERSION"
[ "$(grep -c '^version: ' galaxy.yml)" = 1 ] || fail "galaxy.yml needs exactly one top-level 'version:' line"
sed -i "s/^version: .*/version: $VERSION/" galaxy.yml

say "antsibull-changelog release --version $VERSION"
antsibull-changelog release --version "$VERSION" --ansible-doc-bin "$DOCS_BIN/ansible-doc"
grep -q "^v$VERSION$" CHANGELOG.rst || fail "CHANGELOG.rst has no section v$VERSION"

say "docsite extra docs and the release tarball"
"$DOCS_BIN/python" tools/docsite_rst.py
OUT=$ROOT/build/release
rm -rf "$OUT" && mkdir -p "$OUT"
"$DOCS_BIN/ansible-galaxy" collection build --output-path "$OUT" .
TARBALL=$OUT/hybridops-ssm-$VERSION.tar.gz
[ -f "$TARBALL" ] || fail "no $TARBALL"
for wanted in CHANGELOG.rst changelogs/changelog.yaml docs/docsite/rst/performance.rst; do
  tar -tzf "$TARBALL" "$wanted" >/dev/null 2>&1 || fail "$TARBALL lacks $wanted"
done

say "galaxy-importer on $TARBALL (tools/galaxy-importer.cfg)"
PATH=$MAIN_PATH GALAXY_IMPORTER_CONFIG=$ROOT/tools/galaxy-importer.cfg "$ROOT/.venv/bin/python" -m galaxy_importer.main "$TARBALL" \
  | tee "$OUT/importer.log"
if grep -E '^(WARNING|ERROR|CRITICAL): ' "$OUT/importer.log" >/dev/null; then
  fail "galaxy-importer reported the warnings or errors above"
fi

say "done: $TARBALL"
cat <<EOF
release: to commit and tag it:
  git add -A CHANGELOG.rst changelogs galaxy.yml
  git commit -m "Release $VERSION"
  git tag -a $VERSION -m "hybridops.ssm $VERSION"
release: then publish $TARBALL (ansible-galaxy collection publish).
EOF
