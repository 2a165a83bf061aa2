#!/usr/bin/env bash
# make docs: the collection's docsite as antsibull-docs builds it, with the extra docs, into
# build/docs/build/html. Steps: the docs virtualenv (tools/docs_venv.sh), the extra docs' RST from the
# Markdown (tools/docsite_rst.py), the collection tree (tools/bootstrap.sh), antsibull-docs
# lint-collection-docs (plugin docs, roles, extra docs and links.yml), then antsibull-docs sphinx-init and
# the site's build. Offline, the only warnings are intersphinx's: the inventories of docs.python.org,
# jinja and docs.ansible.com cannot be fetched, so references into them stay unresolved.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DOCS_BIN=$(tools/docs_venv.sh)
"$DOCS_BIN/python" tools/docsite_rst.py
tools/bootstrap.sh
export PATH="$DOCS_BIN:$PATH" ANSIBLE_COLLECTIONS_PATH="$ROOT/build/collections" ANSIBLE_LOCAL_TEMP="$ROOT/build/tmp"
TREE=$ROOT/build/collections/ansible_collections/hybridops/ssm

echo "docs: antsibull-docs lint-collection-docs"
antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs --validate-collection-refs all "$TREE"

SITE=$ROOT/build/docs
rm -rf "$SITE"
mkdir -p "$(dirname "$SITE")" && mkdir -m 700 "$SITE"  # antsibull-docs writes only into a directory that only its owner can write to
echo "docs: antsibull-docs sphinx-init into $SITE"
antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$SITE" --project hybridops.ssm \
  --title "hybridops.ssm" --html-short-title "hybridops.ssm" hybridops.ssm >/dev/null
# sphinx-init's build.sh turns warnings into errors (-W); offline, the intersphinx ones are certain. So the
# site is built with every warning written to warnings.log, and any warning but those fails the build.
sed -i 's/ -W --keep-going$/ --keep-going -w warnings.log/' "$SITE/build.sh"
grep -q -- '-w warnings.log$' "$SITE/build.sh" || { echo "docs: build.sh of this antsibull-docs has no sphinx-build -W line to change" >&2; exit 1; }
bash "$SITE/build.sh"
# Offline: the four intersphinx inventories cannot be fetched (the message's continuation lines name them),
# and so labels and environment variables documented on docs.ansible.com stay undefined (action_plugins: the
# note antsibull-docs adds to a module with an action plugin of its own, check_role_inputs and find_hybrid_node).
offline='failed to reach any of the inventories|^intersphinx inventory |undefined label: .(common_return_values|ansible_configuration_settings|action_plugins).|.envvar. reference target not found: ANSIBLE_'
if grep -v -E "$offline" "$SITE/warnings.log" | grep -q .; then
  echo "docs: FAIL, sphinx warnings not caused by being offline:" >&2
  grep -v -E "$offline" "$SITE/warnings.log" >&2
  exit 1
fi
echo "docs: $(grep -c WARNING "$SITE/warnings.log") warnings, all from being offline (intersphinx inventories unreachable)"
echo "docs: $SITE/build/html/collections/hybridops/ssm/index.html"
