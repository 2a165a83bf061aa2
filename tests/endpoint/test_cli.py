"""The real AWS CLI against the endpoint, and the endpoint as a separate process."""

import contextlib
import json
import os
import signal
import subprocess
import sys
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
def endpoint_process(tmp_path, *extra):
    """Run ``python -m ssm_endpoint`` until the block ends, then SIGTERM it.

    Yields a namespace with ``url``; ``returncode`` and ``stdout`` are filled in once it has stopped.
    """
    port_file = tmp_path / "url"
    env = dict(os.environ, PYTHONPATH=TESTS)
    command = [sys.executable, "-m", "ssm_endpoint", "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file), *extra]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            deadline = time.time() + 90  # a start-up guard only: a loaded machine may take long to import moto
            while not (port_file.exists() and port_file.read_text().strip()):
                assert proc.poll() is None and time.time() < deadline
                time.sleep(0.05)
            run = types.SimpleNamespace(url=port_file.read_text().strip(), returncode=None, stdout="")
            yield run
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _err = proc.communicate(timeout=60)  # a guard only: it stops within a second when the machine is idle
        run.returncode, run.stdout = proc.returncode, out


def test_module_runs_as_process(tmp_path):
    with endpoint_process(tmp_path) as run:
        url = run.url
        ctl = EndpointControl(url)
        seeded = ctl.seed_nodes(2)
        client = boto3.client("ssm", endpoint_url=url, region_name="us-east-1", **CREDS)
        assert len(client.describe_instance_information()["InstanceInformationList"]) == 2
        client.deregister_managed_instance(InstanceId=seeded["instance_ids"][0])
        assert ctl.count("DeregisterManagedInstance") == 1
    assert run.returncode == 0
    assert run.stdout.strip() == url


def test_module_realtime_flag(tmp_path):
    with endpoint_process(tmp_path, "--realtime", "--step-interval", "0.1") as run:
        url = run.url
        instance_id = EndpointControl(url).seed_nodes(1)["instance_ids"][0]
        client = boto3.client("ssm", endpoint_url=url, region_name="us-east-1", **CREDS)
        command_id = client.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript")["Command"]["CommandId"]
        deadline = time.time() + 60  # a guard only: the command finishes in about 0.1 s when the machine is idle
        while invocation_status(client, command_id, instance_id) != "Success":
            assert time.time() < deadline
            time.sleep(0.1)
    assert run.returncode == 0
