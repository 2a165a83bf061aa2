"""realism.py: the profiles and knobs, and offline agents (commands on nodes that are not Online do not move)."""

import json

import pytest
from endpoint_helpers import client_error
from test_cli import aws  # noqa: F401  pylint: disable=unused-import
from test_cli import fixture_aws_cli  # noqa: F401  pylint: disable=unused-import

from ssm_endpoint.control import ControlError

DOC = "AWS-RunShellScript"
REALISTIC = {
    "profile": "realistic",
    "deregister_lag_s": 3.0,
    "command_visibility_lag_s": 1.5,
    "tag_lag_s": 1.0,
    "describe_default_page": 10,
    "sparse_pages": True,
    "offline_agents": True,
}
TIDY = {
    "profile": "tidy",
    "deregister_lag_s": 0.0,
    "command_visibility_lag_s": 0.0,
    "tag_lag_s": 0.0,
    "describe_default_page": 10,
    "sparse_pages": False,
    "offline_agents": False,
}


def send(ssm, control, ids, **kwargs):
    """SendCommand, then let the visibility lag pass (without stepping commands); returns the command ID."""
    command_id = ssm.send_command(InstanceIds=ids, DocumentName=DOC, **kwargs)["Command"]["CommandId"]
    control.advance(REALISTIC["command_visibility_lag_s"])
    return command_id


def statuses(ssm, command_id, ids):
    """(Status, StatusDetails) of each invocation, in ``ids`` order."""
    out = []
    for instance_id in ids:
        inv = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        out.append((inv["Status"], inv["StatusDetails"]))
    return out


def test_realistic_is_the_default_and_reset_restores_it(control):
    assert control.realism() == REALISTIC
    assert control.set_realism("tidy") == TIDY
    assert control.set_realism("realistic", tag_lag_s=5) == {**REALISTIC, "tag_lag_s": 5.0}
    assert control.set_realism(sparse_pages=False)["sparse_pages"] is False
    control.reset()
    assert control.realism() == REALISTIC


@pytest.mark.parametrize("knobs", [{"profile": "sloppy"}, {"describe_default_page": 51}, {"deregister_lag_s": -1}, {"sparse_pages": "yes"}, {"bogus_knob": 1}])
def test_bad_knobs_are_refused(control, knobs):
    with pytest.raises(ControlError) as info:
        control.set_realism(**knobs)
    assert info.value.code == "BadRequest"
    assert control.realism() == REALISTIC


def test_cancel_on_offline_node_stays_cancelling_until_it_is_online(ssm, control):
    online, lost = control.seed_nodes(2)["instance_ids"]
    control.set_ping([lost], "ConnectionLost")
    command_id = send(ssm, control, [online, lost])
    control.step()
    assert statuses(ssm, command_id, [online, lost]) == [("InProgress", "InProgress"), ("Delayed", "Delayed")]
    ssm.cancel_command(CommandId=command_id)
    control.step(5)
    assert statuses(ssm, command_id, [online, lost]) == [("Cancelled", "Cancelled"), ("Cancelling", "Cancelling")]
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Cancelling"
    control.set_ping([lost], "Online")
    control.step()
    assert statuses(ssm, command_id, [online, lost])[1] == ("Cancelled", "Cancelled")


def test_offline_invocations_time_out_as_delivery_timed_out(ssm, control):
    ids = control.seed_nodes(3, ping_status="ConnectionLost")["instance_ids"]
    command_id = send(ssm, control, ids, TimeoutSeconds=60)
    control.set_invocation(command_id, instance_id=ids[1], status="InProgress")
    ssm.cancel_command(CommandId=command_id, InstanceIds=[ids[2]])
    control.step(10)  # 20 s of endpoint time: nothing progresses (the undelivered one is Delayed)
    assert statuses(ssm, command_id, ids) == [("Delayed", "Delayed"), ("InProgress", "InProgress"), ("Cancelling", "Cancelling")]
    control.advance(60)
    control.step()
    assert statuses(ssm, command_id, ids) == [("TimedOut", "DeliveryTimedOut")] * 3
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert (command["Status"], command["StatusDetails"]) == ("TimedOut", "DeliveryTimedOut")
    assert (command["DeliveryTimedOutCount"], command["ErrorCount"], command["CompletedCount"]) == (3, 0, 3)


def test_default_timeout_is_an_hour_of_endpoint_time(ssm, control):
    lost = control.seed_nodes(1, ping_status="ConnectionLost")["instance_ids"]
    command_id = send(ssm, control, lost)
    control.advance(3600 - 30)
    control.step()
    assert statuses(ssm, command_id, lost) == [("Delayed", "Delayed")]
    control.advance(30)
    control.step()
    assert statuses(ssm, command_id, lost) == [("TimedOut", "DeliveryTimedOut")]


def test_an_offline_node_delays_delivery_until_its_agent_returns(ssm, control):
    """User guide, "Understanding command statuses": Delayed, the system tried to send the command and retries."""
    lost = control.seed_nodes(1, ping_status="ConnectionLost")["instance_ids"]
    command_id = send(ssm, control, lost)
    assert statuses(ssm, command_id, lost) == [("Pending", "Pending")]  # not tried yet
    control.step()
    assert statuses(ssm, command_id, lost) == [("Delayed", "Delayed")]
    assert ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"][0]["Status"] == "Delayed"
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "InProgress"
    control.set_ping(lost, "Online")
    control.step(2)
    assert statuses(ssm, command_id, lost) == [("Success", "Success")]


def test_an_undelivered_invocation_on_a_deregistered_node_is_undeliverable(ssm, control):
    """Undeliverable (terminal, Status Failed): the node no longer exists; not in ErrorCount, and it does not
    decide the command's status. A delivered invocation waits for the agent until the command expires."""
    delivered, undelivered, kept = control.seed_nodes(3)["instance_ids"]
    command_id = send(ssm, control, [delivered, undelivered, kept], TimeoutSeconds=60)
    control.set_invocation(command_id, instance_id=delivered, status="InProgress")
    control.set_invocation(command_id, instance_id=kept, duration_steps=100)
    for gone in (delivered, undelivered):
        ssm.deregister_managed_instance(InstanceId=gone)
    control.step()
    assert statuses(ssm, command_id, [delivered, undelivered, kept]) == [
        ("InProgress", "InProgress"),
        ("Failed", "Undeliverable"),
        ("InProgress", "InProgress"),
    ]
    control.set_invocation(command_id, instance_id=kept, status="Success")
    control.advance(60)
    control.step()
    assert statuses(ssm, command_id, [delivered, undelivered])[0] == ("TimedOut", "DeliveryTimedOut")
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert (command["Status"], command["ErrorCount"], command["CompletedCount"], command["DeliveryTimedOutCount"]) == ("TimedOut", 0, 3, 1)


def test_a_command_only_undeliverable_is_failed(ssm, control):
    ids = control.seed_nodes(2)["instance_ids"]
    command_id = send(ssm, control, ids)
    for gone in ids:
        ssm.deregister_managed_instance(InstanceId=gone)
    control.step()
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert (command["Status"], command["ErrorCount"], command["CompletedCount"]) == ("Failed", 0, 2)


def test_tidy_lets_offline_nodes_settle(ssm, control):
    control.set_realism("tidy")
    lost = control.seed_nodes(1, ping_status="ConnectionLost")["instance_ids"]
    command_id = ssm.send_command(InstanceIds=lost, DocumentName=DOC)["Command"]["CommandId"]
    ssm.cancel_command(CommandId=command_id)
    control.step()
    assert statuses(ssm, command_id, lost) == [("Cancelled", "Cancelled")]


def test_cli_offline_cancel_and_profile(aws_cli, endpoint, ssm, control):
    del aws_cli
    lost = control.seed_nodes(1, ping_status="ConnectionLost")["instance_ids"][0]
    command_id = send(ssm, control, [lost])
    cancelled = aws(endpoint, "cancel-command", "--command-id", command_id)
    assert cancelled.returncode == 0, cancelled.stderr
    control.step(3)
    got = aws(endpoint, "get-command-invocation", "--command-id", command_id, "--instance-id", lost)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["Status"] == "Cancelling"
    assert client_error(ssm.get_command_invocation, CommandId="0" * 8 + "-0000-0000-0000-" + "0" * 12, InstanceId=lost)[0] == "InvocationDoesNotExist"
