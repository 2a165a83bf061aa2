"""ssm_command and ssm_command_info as people call them: ad-hoc `ansible -m` and `ansible-doc`."""

import json
import sys

import boto3

from conftest import ROOT
from conftest import adhoc
from conftest import run_cli

sys.path.insert(0, str(ROOT / "build" / "collections"))

MODULES = ["hybridops.ssm.ssm_command", "hybridops.ssm.ssm_command_info"]


def _send(endpoint, instance_ids):
    client = boto3.client("ssm", endpoint_url=endpoint.url, region_name="us-east-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="x")
    return client.send_command(DocumentName="AWS-RunShellScript", InstanceIds=instance_ids)["Command"]["CommandId"]


def test_adhoc_cancel_then_again(control, ansible_env, endpoint):
    nodes = control.seed_nodes(count=2)["instance_ids"]
    command_id = _send(endpoint, nodes)
    control.clear_log()
    result, status, output = adhoc(ansible_env, MODULES[0], f"command_id={command_id} state=cancelled")
    assert result.returncode == 0, result.stdout + result.stderr
    assert status == "CHANGED"
    assert [(o["instance_id"], o["outcome"], o["status"]) for o in output["outcomes"]] == [(n, "cancel_requested", "Cancelling") for n in nodes]
    assert output["command"]["command_id"] == command_id
    assert control.count("CancelCommand") == 1

    result, status, output = adhoc(ansible_env, MODULES[0], f"command_id={command_id} state=cancelled")
    assert result.returncode == 0 and status == "SUCCESS" and output["changed"] is False
    assert control.count("CancelCommand") == 1


def test_adhoc_race_warns_and_reports_the_node(control, ansible_env, endpoint):
    nodes = control.seed_nodes(count=2)["instance_ids"]
    command_id = _send(endpoint, nodes)
    control.step()
    control.set_invocation(command_id, instance_id=nodes[0], finish_before_cancel=True)
    # without -o: the oneline callback drops warnings
    result = run_cli(["ansible", "localhost", "-m", MODULES[0], "-a", f"command_id={command_id}"], ansible_env)
    assert result.returncode == 0 and result.stdout.startswith("localhost | CHANGED => "), result.stdout + result.stderr
    output = json.loads(result.stdout.split(" => ", 1)[1])
    outcomes = {o["instance_id"]: o["outcome"] for o in output["outcomes"]}
    assert outcomes == {nodes[0]: "completed_before_cancel", nodes[1]: "cancel_requested"}
    assert "[WARNING]: 1 node(s) finished before the cancel landed: " + nodes[0] + " Success" in result.stderr
    assert "DEPRECATION" not in result.stderr


def test_adhoc_unknown_command_names_id_and_region(control, ansible_env):
    result, status, output = adhoc(ansible_env, MODULES[0], "command_id=00000000-0000-4000-8000-000000000000")
    assert result.returncode != 0 and status == "FAILED!"
    assert "'00000000-0000-4000-8000-000000000000'" in output["msg"] and "us-east-1" in output["msg"]
    assert "read again for 6s" in output["msg"]
    # read again in case the command was just sent (SSM lists it a moment later), never cancelled: every
    # COMMAND_VISIBILITY_POLL (0.5 s) for COMMAND_VISIBILITY_WAIT (6 s), so at most 13 reads and a first
    operations = control.operations()
    assert set(operations) == {"ListCommands"} and 2 <= len(operations) <= 14


def test_adhoc_bad_command_id_fails_without_a_request(control, ansible_env):
    result, status, output = adhoc(ansible_env, MODULES[0], "command_id=1234 state=cancelled")
    assert result.returncode != 0 and status == "FAILED!"
    assert output["msg"].startswith("command_id: '1234'") and "exactly 36 characters" in output["msg"]
    assert control.log() == []


def test_adhoc_info_lists_commands(control, ansible_env, endpoint):
    nodes = control.seed_nodes(count=3)["instance_ids"]
    command_id = _send(endpoint, nodes)
    control.advance(10)  # SSM lists a new command only a moment after SendCommand
    result, status, output = adhoc(ansible_env, MODULES[1], f"instance_id={nodes[1]} include_invocations=true")
    assert result.returncode == 0 and status == "SUCCESS", result.stdout + result.stderr
    assert [c["command_id"] for c in output["commands"]] == [command_id]
    assert [i["instance_id"] for i in output["commands"][0]["invocations"]] == [nodes[1]]


def test_adhoc_info_finds_a_cancel_waiting_for_its_agent(control, ansible_env, endpoint):
    # SSM's Status filter takes no Cancelling (the endpoint refuses it as the API reference lists the values):
    # the module lists unfinished commands and keeps the cancelling one.
    lost = control.seed_nodes(count=1, ping_status="ConnectionLost")["instance_ids"]
    online = control.seed_nodes(count=1)["instance_ids"]
    waiting, running = _send(endpoint, lost), _send(endpoint, online)
    control.advance(2)  # past the realistic profile's command visibility lag
    boto3.client("ssm", endpoint_url=endpoint.url, region_name="us-east-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="x").cancel_command(
        CommandId=waiting
    )
    control.clear_log()
    result, status, output = adhoc(ansible_env, MODULES[1], "status=Cancelling")
    assert status == "SUCCESS", result.stdout + result.stderr
    assert [c["command_id"] for c in output["commands"]] == [waiting] and running != waiting
    assert [e["params"]["Filters"] for e in control.log()] == [[{"key": "ExecutionStage", "value": "Executing"}]]
