"""Run every integration target (a role under targets/) through the real ansible-playbook."""

from pathlib import Path

import pytest

from conftest import HERE
from conftest import run_cli

# setup_* roles are helpers the targets include, not targets.
TARGETS = sorted(p.name for p in (HERE / "targets").iterdir() if (p / "tasks" / "main.yml").is_file() and not p.name.startswith("setup_"))


@pytest.mark.parametrize("target", TARGETS)
def test_target(target, control, ansible_env, endpoint):
    playbook = Path(HERE / "run_target.yml")
    command = ["ansible-playbook", "-i", "localhost,", "-c", "local", str(playbook), "-e", f"target={target}", "-e", f"endpoint_url={endpoint.url}"]
    result = run_cli(command, ansible_env)
    assert result.returncode == 0, f"{target} failed\nSTDOUT:\n{result.stdout[-12000:]}\nSTDERR:\n{result.stderr[-4000:]}"
    assert "failed=0" in result.stdout
