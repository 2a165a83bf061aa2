"""tools/docsite_rst.py --check: docs/docsite/extra-docs.yml lists every page the Markdown gives, and nothing
else. (Generating the RST needs pandoc from the docs virtualenv: make docs.)"""

import shutil
import subprocess

from conftest import BIN
from conftest import ROOT


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
