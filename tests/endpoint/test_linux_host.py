"""linux_host.py: AWS-RunShellScript really runs on a node seeded with a Linux host, in its own namespace."""

import os

import pytest
from endpoint_helpers import fixture_lines
from endpoint_helpers import run_command
from endpoint_helpers import wait_invocation

import ssm_endpoint.linux_host

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a node's mount namespace needs root (CI is root)")


@pytest.fixture(name="node")
def fixture_node(control):
    """One Online node with a Linux host (registration, keys, stand-in agent and service manager)."""
    return control.seed_nodes(1, host=True)["instance_ids"][0]


def test_exit_zero_is_success_with_its_output(ssm, control, node):
    answer = run_command(ssm, control, node, ["echo hello from $(cat /var/lib/amazon/ssm/registration)", "echo $AWS_SSM_INSTANCE_ID >&2"])
    assert (answer["Status"], answer["StatusDetails"], answer["ResponseCode"]) == ("Success", "Success", 0)
    assert answer["StandardOutputContent"].startswith('hello from {"ManagedInstanceID": "' + node)
    assert answer["StandardErrorContent"] == node + "\n"
    assert answer["ExecutionEndDateTime"] and answer["ExecutionElapsedTime"].startswith("PT")


def test_exit_code_is_the_response_code_of_a_failure(ssm, control, node):
    answer = run_command(ssm, control, node, ["echo partial", "echo 'no such thing' >&2", "exit 7"])
    assert (answer["Status"], answer["StatusDetails"], answer["ResponseCode"]) == ("Failed", "Failed", 7)
    assert (answer["StandardOutputContent"], answer["StandardErrorContent"]) == ("partial\n", "no such thing\n")
    listed = ssm.list_command_invocations(CommandId=answer["CommandId"], Details=True)["CommandInvocations"][0]
    assert listed["CommandPlugins"][0]["ResponseCode"] == 7 and listed["CommandPlugins"][0]["Output"] == "partial\n"


def test_execution_timeout_kills_the_script(ssm, control, node):
    # executionTimeout runs on the endpoint clock: each manual step is 2 s, so the third step after start kills it.
    answer = run_command(ssm, control, node, ["echo started", "sleep 60", "echo never"], executionTimeout=3)
    assert (answer["Status"], answer["StatusDetails"], answer["ResponseCode"]) == ("TimedOut", "ExecutionTimedOut", -1)
    assert "never" not in answer["StandardOutputContent"]
    command = ssm.list_commands(CommandId=answer["CommandId"])["Commands"][0]
    assert (command["Status"], command["StatusDetails"]) == ("TimedOut", "ExecutionTimedOut")


def test_long_output_is_cut_at_24000_characters_and_long_errors_at_8000(ssm, control, node):
    answer = run_command(ssm, control, node, ["head -c 30000 /dev/zero | tr '\\0' o", "head -c 25000 /dev/zero | tr '\\0' e >&2"])
    assert answer["Status"] == "Success"
    assert answer["StandardOutputContent"] == "o" * 24000 and answer["StandardErrorContent"] == "e" * 8000


def test_a_node_writes_its_own_etc_and_the_real_one_stays(ssm, control, node):
    assert not os.path.exists("/etc/amazon/ssm/x")
    answer = run_command(
        ssm, control, node, ["mkdir -p /etc/amazon/ssm", "echo mine > /etc/amazon/ssm/x", "echo tmp > /tmp/hybridops-x", "touch /hybridops-x || echo refused"]
    )
    assert answer["Status"] == "Success" and "refused" in answer["StandardOutputContent"]
    assert "Read-only file system" in answer["StandardErrorContent"]
    assert not os.path.exists("/etc/amazon/ssm/x") and not os.path.exists("/hybridops-x") and not os.path.exists("/tmp/hybridops-x")
    assert control.host(node, paths=["/etc/amazon/ssm/x"])["files"] == {"/etc/amazon/ssm/x": "mine\n"}
    # A second node does not see the first one's file either.
    other = control.seed_nodes(1, host=True)["instance_ids"][0]
    assert control.host(other, paths=["/etc/amazon/ssm/x"])["files"] == {"/etc/amazon/ssm/x": None}


def test_a_script_cannot_unmount_its_overlay(ssm, control, node):
    answer = run_command(ssm, control, node, ["umount -l /etc; echo rc=$?", "echo x > /etc/hybridops-escape"])
    assert "rc=0" not in answer["StandardOutputContent"]
    assert not os.path.exists("/etc/hybridops-escape")


def test_no_namespace_means_nothing_runs(ssm, control, node, monkeypatch):
    # The endpoint runs in this process: make `unshare` look missing, as on a machine without util-linux.
    real_which = ssm_endpoint.linux_host.shutil.which
    monkeypatch.setattr(ssm_endpoint.linux_host.shutil, "which", lambda tool: None if tool == "unshare" else real_which(tool))
    answer = run_command(ssm, control, node, ["echo x > /etc/hybridops-refused"])
    assert (answer["Status"], answer["ResponseCode"]) == ("Failed", -1)
    assert "refused to execute" in answer["StandardErrorContent"] and "unshare is not installed" in answer["StandardErrorContent"]
    assert not os.path.exists("/etc/hybridops-refused")


def test_cleanup_script_clears_the_node_and_its_agent_falls_silent(ssm, control, node):
    answer = run_command(ssm, control, node, fixture_lines("cleanup_linux.sh"))
    assert (answer["Status"], answer["ResponseCode"]) == ("Success", 0), answer["StandardErrorContent"]
    assert "handed to hybridops-ssm-cleanup" in answer["StandardOutputContent"]
    assert "Running as unit: hybridops-ssm-cleanup.service" in answer["StandardErrorContent"]
    # Handed off, not done yet: the unit runs --on-active=5 seconds later (endpoint clock), detached.
    state = control.host(node)
    assert state["agent_running"] and state["files"]["/var/lib/amazon/ssm/registration"]
    assert [u["status"] for u in state["units"]] == ["queued"]
    for _unused in range(4):
        control.step()
    state = control.host(node, settle=5)
    assert [(u["unit"], u["status"], u["exit_code"]) for u in state["units"]] == [("hybridops-ssm-cleanup", "exited", 0)]
    assert state["agent_calls"] == [["-register", "-clear"]]
    assert state["services"]["amazon-ssm-agent"] == {"active": "inactive", "enabled": "disabled"}
    files = state["files"]
    assert files["/var/lib/amazon/ssm/registration"] is None
    assert files["/var/lib/amazon/ssm/Vault/Store/RegistrationKey"] is None and files["/var/lib/amazon/ssm/Vault/Store/InstanceFingerprint"] is None
    assert files["/root/.aws/credentials"]  # a user's own profile stays
    assert state["calls"][:3] == [
        "systemd-run --unit hybridops-ssm-cleanup --on-active=5 /bin/sh -c "
        "systemctl stop amazon-ssm-agent; systemctl disable amazon-ssm-agent; /usr/bin/amazon-ssm-agent -register -clear; "
        "rm -f /var/lib/amazon/ssm/registration; rm -rf /var/lib/amazon/ssm/Vault",
        "systemctl stop amazon-ssm-agent",
        "systemctl disable amazon-ssm-agent",
    ]
    # The agent is silent now; SSM notices only once a ping is overdue (5 minutes), not at once.
    control.step()
    assert control.host(node)["ping_status"] == "Online"
    control.advance(290)
    control.step()
    assert control.host(node)["ping_status"] == "Online"
    control.advance(10)
    control.step()
    assert control.host(node)["ping_status"] == "ConnectionLost"
    info = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [node]}])["InstanceInformationList"][0]
    assert info["PingStatus"] == "ConnectionLost"


def test_stopping_the_agent_inline_kills_the_script_unreported(ssm, control, node):
    answer = run_command(ssm, control, node, ["systemctl stop amazon-ssm-agent", "echo survived > /etc/hybridops-after"], max_steps=6)
    assert answer["Status"] == "InProgress" and answer["ResponseCode"] == -1
    state = control.host(node, paths=["/etc/hybridops-after"])
    assert state["files"] == {"/etc/hybridops-after": None}
    assert state["services"]["amazon-ssm-agent"]["active"] == "inactive" and not state["agent_running"]


def test_an_offline_node_runs_nothing(ssm, control, node):
    control.set_ping([node], "ConnectionLost")
    answer = run_command(ssm, control, node, ["echo ran > /etc/hybridops-offline"], max_steps=3)
    assert answer["Status"] == "Delayed"
    assert control.host(node, paths=["/etc/hybridops-offline"])["files"] == {"/etc/hybridops-offline": None}


def test_cancel_kills_the_script(ssm, control, node):
    command_id = ssm.send_command(InstanceIds=[node], DocumentName="AWS-RunShellScript", Parameters={"commands": ["sleep 60"]})["Command"]["CommandId"]
    assert wait_invocation(ssm, control, command_id, node, max_steps=3)["Status"] == "InProgress"
    ssm.cancel_command(CommandId=command_id)
    assert wait_invocation(ssm, control, command_id, node, max_steps=3)["Status"] == "Cancelled"
