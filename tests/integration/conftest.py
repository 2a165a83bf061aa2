"""Integration tests: the real ansible / ansible-playbook CLIs against the local SSM endpoint.

Each target under targets/ is a role (the ansible-test layout) that talks to
the endpoint's control API with ansible.builtin.uri and asserts on its request
log itself; test_targets.py runs each through ansible-playbook.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from ssm_endpoint import EndpointControl  # noqa: E402  pylint: disable=wrong-import-position
from ssm_endpoint import start_in_process  # noqa: E402  pylint: disable=wrong-import-position

BIN = ROOT / ".venv" / "bin"


@pytest.fixture(scope="session")
def endpoint():
    server = start_in_process()
    yield server
    server.stop()


@pytest.fixture
def control(endpoint):
    ctl = EndpointControl(endpoint.url)
    ctl.reset()
    return ctl


@pytest.fixture
def ansible_env(endpoint, tmp_path):
    """Environment of a controller: dummy keys, region, our endpoint, the collection tree."""
    env = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    env.update(
        AWS_ACCESS_KEY_ID="AKIDHYBRIDOPSTEST",
        AWS_SECRET_ACCESS_KEY="hybridops-test-secret",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_URL=endpoint.url,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_PYTHON_INTERPRETER=str(BIN / "python"),
        ANSIBLE_ROLES_PATH=str(HERE / "targets"),
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def run_cli(args, env, timeout=600):
    return subprocess.run([str(BIN / args[0]), *args[1:]], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def adhoc(env, module, args, *extra):
    """Run `ansible localhost -m MODULE -a ARGS -o`: (completed process, status word, result dict)."""
    result = run_cli(["ansible", "localhost", "-m", module, "-a", args, "-o", *extra], env)
    # one-line output: "localhost | CHANGED => {...}"
    line = next(line for line in result.stdout.splitlines() if line.startswith("localhost | "))
    return result, line.split(" | ")[1].split(" => ")[0], json.loads(line.split(" => ", 1)[1])
