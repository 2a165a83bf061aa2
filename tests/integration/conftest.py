"""Integration tests: the real ansible / ansible-playbook CLIs against the local SSM endpoint.

Each target under targets/ is a role (the ansible-test layout) that talks to
the endpoint's control API through the endpoint_control lookup (setup_endpoint)
and asserts on its request log itself; test_targets.py runs each through
ansible-playbook. Module runs get a warm Python (warm_python.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import boto3
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import warm_python  # noqa: E402  pylint: disable=wrong-import-position

from ssm_endpoint import EndpointControl  # noqa: E402  pylint: disable=wrong-import-position
from ssm_endpoint import start_in_process  # noqa: E402  pylint: disable=wrong-import-position

BIN = ROOT / ".venv" / "bin"
# The ansible-core under test: HYBRIDOPS_TEST_ANSIBLE_BIN names the bin directory of another virtualenv (a
# `make matrix` cell's) whose CLIs and Python the tests then run, and HYBRIDOPS_TEST_COLLECTIONS the
# collections directory that goes with it (that cell's copy of this tree and its amazon.aws).
ANSIBLE_BIN = Path(os.environ.get("HYBRIDOPS_TEST_ANSIBLE_BIN") or BIN)
COLLECTIONS = Path(os.environ.get("HYBRIDOPS_TEST_COLLECTIONS") or ROOT / "build" / "collections")
# The interpreter the module runs get: the ansible-core under test's Python, warm (warm_python.py).
MODULE_PYTHON = warm_python.ensure(ANSIBLE_BIN / "python")

# The test modules here import helpers with ``from conftest import ...``. tests/endpoint has a conftest.py
# too; when both directories run in one pytest session, "conftest" in sys.modules is whichever pytest loaded
# last, so each test module of this directory is imported with this one in place.
_THIS_CONFTEST = sys.modules[__name__]


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):  # pylint: disable=unused-argument
    sys.modules["conftest"] = _THIS_CONFTEST


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
    return controller_env(endpoint.url, tmp_path)


def controller_env(endpoint_url, tmp_path):
    """What the ansible_env fixture gives, for fixtures of a wider scope (``tmp_path``: a scratch directory)."""
    env = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    env.update(
        AWS_ACCESS_KEY_ID="AKIDHYBRIDOPSTEST",
        AWS_SECRET_ACCESS_KEY="hybridops-test-secret",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_URL=endpoint_url,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_PYTHON_INTERPRETER=MODULE_PYTHON,
        ANSIBLE_ROLES_PATH=str(HERE / "targets"),
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        PATH=f"{ANSIBLE_BIN}{os.pathsep}{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def plain(value):
    """ansible-inventory's JSON without ansible-core 2.19's markers of untrusted strings ({"__ansible_unsafe": "..."})."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def run_cli(args, env, timeout=600):
    # ansible-core's CLIs from the ansible-core under test; the other tools (ansible-builder, ...) are the project's.
    program = ANSIBLE_BIN / args[0] if (ANSIBLE_BIN / args[0]).exists() else BIN / args[0]
    return subprocess.run([str(program), *args[1:]], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def run_in_process(env, runs):
    """Each (module, arguments) of ``runs`` through the module's main(), all in one Python process of the ansible-core
    under test (module_in_process.py): their results, in order. Milliseconds a run instead of a module process."""
    done = subprocess.run(
        [str(ANSIBLE_BIN / "python"), str(HERE / "module_in_process.py")],
        input=json.dumps([[module, args] for module, args in runs]),
        env={**env, "PYTHONPATH": str(COLLECTIONS)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout)


def adhoc(env, module, args, *extra):
    """Run `ansible localhost -m MODULE -a ARGS -o`: (completed process, status word, result dict)."""
    result = run_cli(["ansible", "localhost", "-m", module, "-a", args, "-o", *extra], env)
    # one-line output: "localhost | CHANGED => {...}"
    line = next(line for line in result.stdout.splitlines() if line.startswith("localhost | "))
    return result, line.split(" | ")[1].split(" => ")[0], json.loads(line.split(" => ", 1)[1])


# What AWX's Amazon Web Services credential injects for temporary (STS)
# credentials: the key pair and AWS_SECURITY_TOKEN; no region, no
# AWS_SESSION_TOKEN. The values are dummies the endpoint accepts.
AWX_CREDENTIAL = {
    "AWS_ACCESS_KEY_ID": "ASIAHYBRIDOPSAWXTEST",
    "AWS_SECRET_ACCESS_KEY": "awx-injected-secret-key-5f1c",
    "AWS_SECURITY_TOKEN": "awx-injected-sts-token-9d2e",
}

LOCAL_INVENTORY = f"localhost ansible_connection=local ansible_python_interpreter={MODULE_PYTHON}"


@pytest.fixture
def runner_env(ansible_env):
    """The environment a job starts in before AWX adds its credential: no AWS keys at all."""
    env = dict(ansible_env)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_URL"):
        env.pop(name)
    return env


def run_runner(tmp_path, env, *, envvars=None, extravars=None, ident="job", inventory=LOCAL_INVENTORY, timeout=600, **kwargs):
    """Run one job through ansible_runner.run(), handed over the way AWX hands it: (runner, artifacts dir).

    The private data dir is ``tmp_path/runner-IDENT``; it gets ``inventory/hosts``
    (``localhost`` on the local connection and the venv's Python unless told
    otherwise) and, when ``extravars`` is given (a job template's survey
    answers), ``env/extravars``. ``envvars`` is what AWX's credentials inject:
    it reaches the job's environment but, with ``suppress_env_files``, is never
    written to ``env/``. ``env`` is the whole environment the job starts from
    (``os.environ`` is replaced by it for the run, so nothing from the test
    process leaks in): the ``runner_env`` fixture, which points
    ANSIBLE_COLLECTIONS_PATH at build/collections and PATH at the venv.

    ``kwargs`` go to ansible_runner.run(): ``module=``/``module_args=``/
    ``host_pattern=`` for an ad-hoc command, or ``playbook=`` (a path or a
    collection playbook such as ``hybridops.ssm.decommission``) for a job
    template, plus e.g. ``limit=``, ``verbosity=``, ``forks=``.
    """
    import ansible_runner  # pylint: disable=import-outside-toplevel

    private = tmp_path / f"runner-{ident}"
    (private / "env").mkdir(parents=True, exist_ok=True)
    if extravars is not None:
        (private / "env" / "extravars").write_text(json.dumps(extravars), encoding="utf-8")
    with mock.patch.dict(os.environ, env, clear=True):
        runner = ansible_runner.run(
            private_data_dir=str(private),
            ident=ident,
            inventory=inventory,
            envvars=dict(envvars or {}),
            suppress_env_files=True,
            quiet=True,
            timeout=timeout,
            **kwargs,
        )
    return runner, private / "artifacts" / ident


def runner_events(runner, event=None, host=None):
    """The runner's events, optionally only those of one event type and host."""
    return [e for e in runner.events if (event is None or e["event"] == event) and (host is None or e.get("event_data", {}).get("host") == host)]


def ssm_client(url):
    """A boto3 SSM client for the endpoint, to set scenes and read state outside the code under test."""
    return boto3.client("ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDHYBRIDOPSTEST", aws_secret_access_key="x")


def listed(url):
    """The IDs of every node the endpoint lists."""
    pages = ssm_client(url).get_paginator("describe_instance_information").paginate()
    return {node["InstanceId"] for page in pages for node in page["InstanceInformationList"]}


def invocation_statuses(url, command_id):
    """Every invocation of the command: {instance_id: status}."""
    pages = ssm_client(url).get_paginator("list_command_invocations").paginate(CommandId=command_id)
    return {invocation["InstanceId"]: invocation["Status"] for page in pages for invocation in page["CommandInvocations"]}


def send_long_command(url, instance_ids):
    """SendCommand to the nodes; returns the command ID."""
    command = ssm_client(url).send_command(InstanceIds=instance_ids, DocumentName="AWS-RunShellScript", Parameters={"commands": ["sleep 600"]})
    return command["Command"]["CommandId"]
