"""Generate the docsite's extra docs (docs/docsite/rst/*.rst) from the Markdown the project keeps.

Usage: docsite_rst.py [--check]

The Markdown is the one source: GitHub renders it, Automation Hub shows a collection's docs/*.md, and the
README links to it. antsibull-docs, which builds the collection's docsite, reads only reStructuredText
from docs/docsite/rst/, so that directory is generated (and git-ignored), never edited:

- every docs/*.md, and every roles/*/README.md (as role_NAME), converted with pandoc (pypandoc-binary,
  from tests/requirements-docs.txt);
- playbooks.rst: each playbooks/*.yml with its leading comment (how to run it, what it does) and its text.

Every page starts with a label under ansible_collections.hybridops.ssm.docsite., as antsibull-docs
requires. Links to files of the repository become links to them on the repository's web page (galaxy.yml
``repository``), links between generated pages stay relative. docs/docsite/extra-docs.yml must list every
page and nothing else: a new docs/*.md without an entry there, or an entry without a source, is an error.
--check only checks that, without pandoc.
"""

import argparse
import posixpath
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "docsite" / "rst"
EXTRA_DOCS = ROOT / "docs" / "docsite" / "extra-docs.yml"
LABEL_PREFIX = "ansible_collections.hybridops.ssm.docsite."
# [text](target) in Markdown, target without spaces; images too (the leading ! is left alone)
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")
# pandoc labels a heading whose GitHub-style anchor differs from the one docutils makes; antsibull-docs
# refuses labels outside LABEL_PREFIX, and docutils gives every section an anchor of its own anyway
PANDOC_LABEL = re.compile(r"^\.\. _(?!" + re.escape(LABEL_PREFIX) + r")[^\n]*:\n\n", re.MULTILINE)


def _sources():
    """Page name -> (Markdown source path relative to ROOT, or None for generated pages)."""
    pages = {path.stem: path.relative_to(ROOT).as_posix() for path in sorted((ROOT / "docs").glob("*.md"))}
    for readme in sorted(ROOT.glob("roles/*/README.md")):
        pages[f"role_{readme.parent.name}"] = readme.relative_to(ROOT).as_posix()
    pages["playbooks"] = None
    return pages


def _listed():
    data = yaml.safe_load(EXTRA_DOCS.read_text(encoding="utf-8")) or {}
    return [entry for section in data.get("sections", []) for entry in section.get("toctree", [])]


def check():
    """Problems between the sources and extra-docs.yml's toctrees, as sentences (none: they agree)."""
    pages = _sources()
    listed = _listed()
    problems = [f"{source or name}: no entry {name!r} in {EXTRA_DOCS.relative_to(ROOT)}" for name, source in pages.items() if name not in listed]
    problems += [
        f"{EXTRA_DOCS.relative_to(ROOT)}: entry {name!r} has no source (docs/{name}.md, roles/NAME/README.md as role_NAME, or playbooks)"
        for name in listed
        if name not in pages
    ]
    problems += [f"{EXTRA_DOCS.relative_to(ROOT)}: entry {name!r} listed {listed.count(name)} times" for name in sorted(set(listed)) if listed.count(name) > 1]
    return problems


def _repository_blob():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    return galaxy["repository"].rstrip("/") + "/blob/main/"


def _rewrite_links(markdown, source, pages):
    """Relative links: to another generated page stay relative (NAME.html), to any other file go to the repository."""
    by_source = {src: name for name, src in pages.items() if src}
    blob = _repository_blob()
    base = posixpath.dirname(source)

    def replace(match):
        target = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            return match.group(0)
        path, _sep, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(base, path))
        if resolved in by_source:
            return f"]({by_source[resolved]}.html{'#' + anchor if anchor else ''})"
        return f"]({blob}{resolved}{'#' + anchor if anchor else ''})"

    return MD_LINK.sub(replace, markdown)


def _playbooks_markdown():
    lines = [
        "# Playbooks",
        "",
        "The collection's playbooks run the roles as they are meant to be run, from the command line "
        "(`ansible-playbook hybridops.ssm.NAME`) or from an AWX / AAP job template. Each one's variables are "
        "its role's, given as extra vars or survey answers.",
        "",
    ]
    for playbook in sorted((ROOT / "playbooks").glob("*.yml")):
        text = playbook.read_text(encoding="utf-8")
        comment = []
        for line in text.splitlines():
            if line.strip() == "---":
                continue
            if not line.startswith("#"):
                break
            comment.append(line[1:].strip())
        usage = [c for c in comment if c.startswith("ansible-playbook")]
        prose = " ".join(c for c in comment if not c.startswith("ansible-playbook") and not c.startswith("["))
        usage += [c for c in comment if c.startswith("[")]  # a usage line continued
        lines += [f"## hybridops.ssm.{playbook.stem}", ""]
        if usage:
            lines += ["```console", *usage, "```", ""]
        if prose:
            lines += [MD_SPECIAL.sub(r"\\\1", prose), ""]
        lines += [f"Source: `playbooks/{playbook.name}`", "", "```yaml", text.rstrip("\n"), "```", ""]
    return "\n".join(lines)


def generate():
    import pypandoc  # pylint: disable=import-outside-toplevel  # only in the docs virtualenv (tests/requirements-docs.txt)

    pages = _sources()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.rst"):
        old.unlink()
    for name, source in pages.items():
        markdown = (ROOT / source).read_text(encoding="utf-8") if source else _playbooks_markdown()
        markdown = _rewrite_links(markdown, source or "playbooks/", pages)
        rst = pypandoc.convert_text(markdown, "rst", format="gfm", extra_args=["--wrap=preserve"])
        rst = PANDOC_LABEL.sub("", rst)
        origin = source or "playbooks/*.yml"
        header = f".. Generated from {origin} by tools/docsite_rst.py: edit that file, not this one.\n\n.. _{LABEL_PREFIX}{name}:\n\n"
        (OUT / f"{name}.rst").write_text(header + rst, encoding="utf-8")
        print(f"docsite_rst: {origin} -> {(OUT / f'{name}.rst').relative_to(ROOT)}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that extra-docs.yml lists every page (no pandoc needed)")
    args = parser.parse_args(argv[1:])
    problems = check()
    for problem in problems:
        print(f"docsite_rst: {problem}", file=sys.stderr)
    if problems:
        return 1
    if not args.check:
        generate()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
