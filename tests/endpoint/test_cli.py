"""The real AWS CLI against the endpoint, and the endpoint as a separate process."""

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import types

import boto3
import pytest
from endpoint_helpers import CREDS

from ssm_endpoint import EndpointControl

BIN = os.path.dirname(sys.executable)
CLIENT_ERROR_RC = 255  # awscli v1 exits 255 on a service error (v2 uses 254)
TESTS = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def aws(endpoint, *args):
    """Run ``aws ssm ...`` against the endpoint; returns the CompletedProcess."""
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=CREDS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDS["aws_secret_access_key"],
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_MAX_ATTEMPTS="1",
    )
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [os.path.join(BIN, "aws"), "ssm", *args, "--endpoint-url", endpoint.url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(name="aws_cli", scope="module")
def fixture_aws_cli():
    """The pinned awscli must be there: a missing CLI is a broken bootstrap, not a reason to skip."""
    assert os.path.exists(os.path.join(BIN, "aws")), "aws CLI missing from the venv: run tools/bootstrap.sh"


def test_cli_describe_and_deregister(aws_cli, endpoint, control):
    del aws_cli
    ids = control.seed_nodes(2)["instance_ids"]
    described = aws(endpoint, "describe-instance-information")
    assert described.returncode == 0, described.stderr
    assert [n["InstanceId"] for n in json.loads(described.stdout)["InstanceInformationList"]] == ids
    gone = aws(endpoint, "deregister-managed-instance", "--instance-id", ids[0])
    assert gone.returncode == 0, gone.stderr
    again = aws(endpoint, "deregister-managed-instance", "--instance-id", ids[0])
    assert again.returncode == CLIENT_ERROR_RC and "InvalidInstanceId" in again.stderr
    assert control.operations() == ["DescribeInstanceInformation", "DeregisterManagedInstance", "DeregisterManagedInstance"]
    assert [e["status"] for e in control.log()] == [200, 200, 400]


def test_cli_validation_error(aws_cli, endpoint, control):
    del aws_cli, control
    bad = aws(endpoint, "deregister-managed-instance", "--instance-id", "i-0123456789abcdef01")
    assert bad.returncode == CLIENT_ERROR_RC and "ValidationException" in bad.stderr


def test_cli_cancel_command(aws_cli, endpoint, ssm, control):
    del aws_cli
    instance_id = control.seed_nodes(1)["instance_ids"][0]
    command_id = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
    cancelled = aws(endpoint, "cancel-command", "--command-id", command_id)
    assert cancelled.returncode == 0, cancelled.stderr
    control.advance(1.5)  # past the realistic profile's command visibility lag
    assert ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)["Status"] == "Cancelling"
    unknown = aws(endpoint, "cancel-command", "--command-id", "0" * 36)
    assert unknown.returncode == CLIENT_ERROR_RC and "InvalidCommandId" in unknown.stderr
    cancels = [e for e in control.log() if e["operation"] == "CancelCommand"]
    assert [e["params"] for e in cancels] == [{"CommandId": command_id}, {"CommandId": "0" * 36}]


def test_cli_throttled(aws_cli, endpoint, control):
    del aws_cli
    control.set_faults(operation="DescribeInstanceInformation", throttle_next=1)
    throttled = aws(endpoint, "describe-instance-information")
    assert throttled.returncode == CLIENT_ERROR_RC and "ThrottlingException" in throttled.stderr


def invocation_status(client, command_id, instance_id):
    """Status of one invocation; None while the new command is not visible yet (realistic profile, aws-cli#3546)."""
    try:
        return client.get_command_invocation(CommandId=command_id, InstanceId=instance_id)["Status"]
    except client.exceptions.InvocationDoesNotExist:
        return None


@contextlib.contextmanager
def endpoint_process(*args):
    """Run ``python -m ssm_endpoint ARGS`` until the block ends, then SIGTERM it.

    Yields a namespace with ``url`` and ``port_file`` (both read from its stdout, the way a person sees them);
    ``returncode`` is filled in once it has stopped.
    """
    env = dict(os.environ, PYTHONPATH=TESTS)
    command = [sys.executable, "-m", "ssm_endpoint", "--host", "127.0.0.1", "--port", "0", *args]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            # Read in a thread: an endpoint that prints less than two lines must fail the test, not hang it.
            lines = queue.Queue()
            threading.Thread(target=lambda: [lines.put(line.strip()) for line in iter(proc.stdout.readline, "")], daemon=True).start()
            # 90 s: a start-up guard only, a loaded machine may take long to import moto
            url, port_file = lines.get(timeout=90), lines.get(timeout=90)
            assert url.startswith("http://127.0.0.1:") and port_file.startswith("port file: "), (url, port_file, proc.poll())
            run = types.SimpleNamespace(url=url, port_file=port_file.split(": ", 1)[1], returncode=None)
            yield run
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)  # a guard only: it stops within a second when the machine is idle
        run.returncode = proc.returncode


def wait_for_status(client, command_id, instance_id, wanted, seconds):
    """Poll until the invocation has ``wanted``; ``seconds`` is a guard for a loaded machine, not the expectation."""
    deadline = time.time() + seconds
    while invocation_status(client, command_id, instance_id) != wanted:
        assert time.time() < deadline
        time.sleep(0.1)


def test_module_runs_as_process(tmp_path):
    port_file = tmp_path / "url"
    with endpoint_process("--manual-clock", "--port-file", str(port_file), "--realism", "deregister_lag_s=180", "--realism", "sparse_pages=false") as run:
        url = run.url
        assert port_file.read_text(encoding="utf-8") == url + "\n" and run.port_file == str(port_file)
        ctl = EndpointControl(url)
        seeded = ctl.seed_nodes(2)
        client = boto3.client("ssm", endpoint_url=url, region_name="us-east-1", **CREDS)
        assert len(client.describe_instance_information()["InstanceInformationList"]) == 2
        client.deregister_managed_instance(InstanceId=seeded["instance_ids"][0])
        assert ctl.count("DeregisterManagedInstance") == 1
        # --manual-clock: nothing moves until a step; --realism: knobs at start; both also after a reset
        assert ctl.set_clock() == {"mode": "manual", "step_interval": 2.0}
        assert (ctl.realism()["deregister_lag_s"], ctl.realism()["sparse_pages"]) == (180.0, False)
        ctl.reset()
        assert ctl.set_clock() == {"mode": "manual", "step_interval": 2.0}
        assert ctl.realism() == {**ctl.set_realism("realistic"), "deregister_lag_s": 180.0, "sparse_pages": False}
    assert run.returncode == 0
    assert port_file.exists()  # a port file the caller named is the caller's


def test_every_start_has_its_own_port_file_and_a_running_clock():
    """Started by hand (no flags): the URL file is in a folder of its own, and the clock runs (so commands finish
    without stepping: shown on the second, --realtime with short steps)."""
    with endpoint_process() as first, endpoint_process("--realtime", "--step-interval", "0.1") as second:
        assert first.url != second.url and os.path.dirname(first.port_file) != os.path.dirname(second.port_file)
        for run in (first, second):
            assert os.path.basename(os.path.dirname(run.port_file)).startswith("ssm-endpoint-")
            with open(run.port_file, encoding="utf-8") as handle:
                assert handle.read().strip() == run.url
        by_hand = EndpointControl(first.url)
        assert by_hand.set_clock() == {"mode": "realtime", "step_interval": 2.0}
        by_hand.reset()  # back to the clock it started with, not to manual
        assert by_hand.set_clock() == {"mode": "realtime", "step_interval": 2.0}
        ctl = EndpointControl(second.url)
        instance_id = ctl.seed_nodes(1)["instance_ids"][0]
        client = boto3.client("ssm", endpoint_url=second.url, region_name="us-east-1", **CREDS)
        command_id = client.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
        wait_for_status(client, command_id, instance_id, "Success", 60)  # about 1.5 s (the visibility lag) when idle
    for run in (first, second):
        assert run.returncode == 0 and not os.path.exists(os.path.dirname(run.port_file))  # its own folder goes with it


@pytest.mark.parametrize("option", ["deregister_lag_s=-1", "sparse_pages=maybe"])
def test_a_bad_realism_option_is_one_line_and_status_2(option):
    bad = subprocess.run(
        [sys.executable, "-m", "ssm_endpoint", "--port", "0", "--realism", option],
        env=dict(os.environ, PYTHONPATH=TESTS),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.startswith("ssm_endpoint: --realism: ") and bad.stderr.count("\n") == 1


@pytest.mark.parametrize("where", ["missing folder", "folder is a file"])
def test_a_port_file_that_cannot_be_written_is_one_line_and_status_2(tmp_path, where):
    (tmp_path / "file").write_text("", encoding="utf-8")
    path = tmp_path / ("missing" if where == "missing folder" else "file") / "url"
    bad = subprocess.run(
        [sys.executable, "-m", "ssm_endpoint", "--port", "0", "--port-file", str(path)],
        env=dict(os.environ, PYTHONPATH=TESTS),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and f"cannot write the port file {path}" in bad.stderr and "Traceback" not in bad.stderr
