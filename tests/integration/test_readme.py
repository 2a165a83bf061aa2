"""README.md's examples, extracted from the file and run as written, twice: on a populated fleet, then on the fleet
the first run left, which is what a run on a clean fleet meets (so a clean fleet is not run apart: its run cost
about 23 s of make test's CPU and showed nothing the second run does not).

YAML blocks that are lists of tasks run as the tasks of one play on localhost; YAML blocks that are plays run
as they are; `ansible` / `ansible-playbook` command lines (console blocks and inline ad-hoc commands) run as
written, from a directory holding the `inventory` they name. Every run must succeed; a second run of the tasks
changes nothing.
"""

import json
import re
import shlex
import subprocess

import yaml
from test_roles import mutating
from test_roles import recap

from conftest import BIN
from conftest import MODULE_PYTHON
from conftest import ROOT
from hostroot import make_host_root

README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
INLINE_ADHOC = re.compile(r"`(ansible localhost [^`]+)`")


FILE_NAME = re.compile(r"\A# (\S+\.ya?ml)\n")


def examples():
    """(tasks blocks, plays blocks, command lines, {file name: text}) of README.md.

    A YAML block whose first line is a comment naming a file (``# lost.hybrid_nodes.yml``) is that
    file, written beside the commands that use it. A command may go on over lines ending in a backslash.
    """
    text = README.read_text(encoding="utf-8")
    tasks, plays, commands, files = [], [], [], {}
    for language, body in FENCE.findall(text):
        if language == "yaml":
            named = FILE_NAME.match(body)
            if named:
                files[named.group(1)] = body
                continue
            data = yaml.safe_load(body)
            if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
                (plays if all("hosts" in item for item in data) else tasks).append(data)
        elif language in ("console", "sh", "shell"):
            joined = re.sub(r"\\\n\s*", " ", body)
            commands += [line.strip() for line in joined.splitlines() if re.match(r"\s*ansible(-playbook|-inventory)? ", line)]
    commands += INLINE_ADHOC.findall(text)
    return tasks, plays, commands, files


def run_cli(args, env, cwd):
    """The venv's CLI ``args[0]`` with the rest of ``args``, from ``cwd``."""
    return subprocess.run([str(BIN / args[0]), *args[1:]], env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


def test_the_readme_has_examples_of_each_kind():
    tasks, plays, commands, _files = examples()
    assert tasks and plays and any(c.startswith("ansible-playbook ") for c in commands) and any(c.startswith("ansible ") for c in commands)
    assert any(key.startswith("hybridops.ssm.") for block in tasks for task in block for key in task)


def populate(control, tmp_path):
    """A fleet with work for every example: stale and recent nodes, Online ones, and a host group `retiring`."""
    control.seed_nodes(count=3, name_prefix="lost", ping_status="ConnectionLost", last_ping_days_ago=90)
    control.seed_nodes(count=2, name_prefix="flaky", ping_status="ConnectionLost", last_ping_days_ago=5)
    store = control.seed_nodes(count=2, name_prefix="store", ping_status="Online")["instance_ids"]
    return make_host_root(tmp_path / "store-0", store[0])


def test_readme_examples_run_as_written_twice(control, ansible_env, tmp_path):
    fleet = "populated"
    tasks, plays, commands, files = examples()
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    root = populate(control, tmp_path)
    (tmp_path / "inventory").write_text(
        "[retiring]\n"
        f"store-0 ansible_connection=local ansible_python_interpreter={MODULE_PYTHON} decommission_hybrid_node_root={root}"
        " decommission_hybrid_node_become=false\n",
        encoding="utf-8",
    )
    play = {"name": "README tasks", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [t for block in tasks for t in block]}
    (tmp_path / "readme_tasks.yml").write_text(json.dumps([play]), encoding="utf-8")
    for index, block in enumerate(plays):
        (tmp_path / f"readme_play_{index}.yml").write_text(json.dumps(block), encoding="utf-8")

    runs = []
    for attempt in (1, 2):
        control.clear_log()
        result = run_cli(
            ["ansible-playbook", "-i", "localhost,", "-e", f"ansible_python_interpreter={MODULE_PYTHON}", str(tmp_path / "readme_tasks.yml")],
            ansible_env,
            cwd=tmp_path,
        )
        print(f"===== README tasks, {fleet} fleet, run {attempt}: rc {result.returncode}\n{result.stdout}\n{result.stderr}")
        assert result.returncode == 0, result.stdout + result.stderr
        runs.append((recap(result.stdout)["localhost"]["changed"], mutating(control.log())))
        for index in range(len(plays)):
            # no inventory: the play's localhost is the implicit one (local connection), as when run without -i
            result = run_cli(["ansible-playbook", str(tmp_path / f"readme_play_{index}.yml")], ansible_env, cwd=tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
        for command in commands:
            result = run_cli(shlex.split(command), ansible_env, cwd=tmp_path)
            print(f"===== {command}, {fleet} fleet, run {attempt}: rc {result.returncode}\n{result.stdout}\n{result.stderr}")
            assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    (first_changed, first_calls), (second_changed, second_calls) = runs
    assert first_changed > 0 and first_calls
    # the fleet the first run cleaned: nothing to change, no mutating call
    assert second_changed == 0 and not second_calls
