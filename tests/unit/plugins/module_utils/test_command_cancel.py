# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cancelling Run Commands: what is read first, what is sent (and what never is), outcomes, waiting."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import command_cancel as cc
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failed_outcomes

from .doubles import FakeTime
from .doubles import ScriptedClient
from .doubles import client_error

CMD = "25173b39-c88d-4459-ba3d-8704a0000000"
OTHER = "25173b39-c88d-4459-ba3d-8704a0000001"
A, B, C = "mi-0000000000000000a", "mi-0000000000000000b", "mi-0000000000000000c"


def _ids(count):
    return ["mi-" + format(n, "017x") for n in range(count)]


def _command(command_id=CMD, status="InProgress", instance_ids=None, targets=None):
    return {"CommandId": command_id, "Status": status, "InstanceIds": instance_ids or [], "Targets": targets or [], "DocumentName": "AWS-RunShellScript"}


def _invocations(statuses, command_id=CMD):
    return {"CommandInvocations": [{"CommandId": command_id, "InstanceId": i, "Status": s} for i, s in statuses.items()]}


def _client(*invocation_pages, command=None, cancel=None):
    """A client that knows one command; each ListCommandInvocations answers the next page given."""
    return ScriptedClient(
        list_commands=[{"Commands": [command or _command()]}],
        list_command_invocations=[_invocations(p) for p in invocation_pages],
        cancel_command=cancel or [{}],
    )


def _cancels(client):
    return [kwargs for name, kwargs in client.calls if name == "cancel_command"]


def test_every_node_terminal_sends_no_cancel():
    client = _client({A: "Success", B: "Failed", C: "Cancelled"})
    changed, result = cc.ensure_cancelled(client, CMD, None, check_mode=False)
    assert changed is False
    assert _cancels(client) == []
    assert [o["outcome"] for o in result["outcomes"]] == ["already_terminal"] * 3
    assert client.names() == ["list_commands", "list_command_invocations"]


def test_cancelling_is_already_being_cancelled():
    client = _client({A: "Cancelling", B: "Cancelled"})
    changed, result = cc.ensure_cancelled(client, CMD, None, check_mode=False)
    assert changed is False and _cancels(client) == []
    assert [(o["outcome"], o["cancel_sent"]) for o in result["outcomes"]] == [("cancel_requested", False), ("already_terminal", False)]


def test_unknown_command_names_id_and_region_before_any_cancel():
    client = ScriptedClient(list_commands=[client_error("InvalidCommandId", "ListCommands")])
    with pytest.raises(AnsibleSSMError) as raised:
        cc.ensure_cancelled(client, CMD, None, check_mode=False, region="eu-west-1", visibility_wait=0)
    assert CMD in raised.value.message and "eu-west-1" in raised.value.message
    assert raised.value.code == "InvalidCommandId"
    assert client.names() == ["list_commands"]


def test_a_node_the_command_never_targeted_fails_before_any_cancel():
    client = _client({A: "InProgress", B: "InProgress"})
    with pytest.raises(AnsibleSSMError) as raised:
        cc.ensure_cancelled(client, CMD, [A, C], check_mode=False)
    assert f"was never sent to {C}" in raised.value.message and "Nothing was cancelled" in raised.value.message
    assert _cancels(client) == []


def test_whole_command_is_one_cancel_without_instance_ids():
    client = _client({A: "InProgress", B: "Success", C: "Pending"}, {A: "Cancelling", B: "Success", C: "Cancelling"})
    changed, result = cc.ensure_cancelled(client, CMD, None, check_mode=False)
    assert changed is True
    assert _cancels(client) == [{"CommandId": CMD}]
    assert [(o["instance_id"], o["outcome"], o["status"]) for o in result["outcomes"]] == [
        (A, "cancel_requested", "Cancelling"),
        (B, "already_terminal", "Success"),
        (C, "cancel_requested", "Cancelling"),
    ]


def test_named_nodes_go_fifty_per_call_and_only_in_flight_ones():
    nodes = _ids(120)
    before = {n: "InProgress" for n in nodes}
    before[nodes[0]] = "Success"
    before[nodes[1]] = "Cancelling"
    client = _client(before, {n: "Cancelling" for n in nodes})
    changed, _result = cc.ensure_cancelled(client, CMD, nodes, check_mode=False)
    cancels = _cancels(client)
    assert changed is True
    assert [len(c["InstanceIds"]) for c in cancels] == [50, 50, 18]
    assert sorted(i for c in cancels for i in c["InstanceIds"]) == sorted(nodes[2:])


def test_check_mode_predicts_without_cancelling():
    client = _client({A: "InProgress", B: "Success"})
    changed, result = cc.ensure_cancelled(client, CMD, [A, B], check_mode=True)
    assert changed is True and _cancels(client) == []
    assert result["diff"] == {"before": {CMD: {A: "InProgress", B: "Success"}}, "after": {CMD: {A: "Cancelling", B: "Success"}}}
    assert result["outcomes"][0]["cancel_sent"] is True


def test_the_race_is_reported_not_hidden():
    client = _client({A: "InProgress", B: "InProgress"}, {A: "Success", B: "Cancelling"})
    changed, result = cc.ensure_cancelled(client, CMD, None, check_mode=False)
    assert changed is True
    outcomes = {o["instance_id"]: o for o in result["outcomes"]}
    assert outcomes[A]["outcome"] == "completed_before_cancel" and outcomes[A]["status"] == "Success"
    assert outcomes[B]["outcome"] == "cancel_requested"
    assert cc.completed_before_cancel(result["outcomes"]) == [outcomes[A]]


def test_one_failed_chunk_does_not_stop_the_next():
    nodes = _ids(60)
    client = _client(
        {n: "InProgress" for n in nodes},
        {n: ("InProgress" if i < 50 else "Cancelling") for i, n in enumerate(nodes)},
        cancel=[client_error("AccessDeniedException", "CancelCommand"), {}],
    )
    changed, result = cc.ensure_cancelled(client, CMD, nodes, check_mode=False)
    assert changed is True
    assert len(_cancels(client)) == 2
    failed = failed_outcomes(result["outcomes"])
    assert [o["instance_id"] for o in failed] == nodes[:50]
    assert failed[0]["error_code"] == "AccessDeniedException" and "IAM permission" in failed[0]["msg"]
    assert {o["outcome"] for o in result["outcomes"][50:]} == {"cancel_requested"}


def test_undelivered_node_named_by_the_command_counts_as_pending():
    client = _client({A: "InProgress"}, {A: "Cancelling", B: "Cancelling"}, command=_command(status="Pending", instance_ids=[A, B]))
    changed, result = cc.ensure_cancelled(client, CMD, [B], check_mode=False)
    assert changed is True
    assert _cancels(client) == [{"CommandId": CMD, "InstanceIds": [B]}]
    assert result["outcomes"][0]["status_before"] == "Pending"


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_command_not_delivered_to_any_node_is_still_cancelled(check_mode):
    command = _command(status="Pending", targets=[{"Key": "tag:Role", "Values": ["web"]}])
    client = _client({}, {}, command=command)
    changed, result = cc.ensure_cancelled(client, CMD, None, check_mode=check_mode)
    assert changed is True
    assert _cancels(client) == ([] if check_mode else [{"CommandId": CMD}])
    assert result["outcomes"] == []


def _job(client, targets):
    command, statuses = cc.read_command(client, CMD)
    return cc.CancelJob(command, statuses, targets, whole_command=False)


def _pings(**statuses):
    """DescribeInstanceInformation of nodes by ping status ({instance_id: PingStatus}; a missing ID is not registered)."""
    return lambda **kw: {"InstanceInformationList": [{"InstanceId": i, "PingStatus": statuses[i]} for i in kw["Filters"][0]["Values"] if i in statuses]}


def test_wait_polls_until_every_node_is_terminal():
    client = _client({A: "Cancelling", B: "Cancelling"}, {A: "Cancelled", B: "Cancelling"}, {A: "Cancelled", B: "Cancelled"})
    client._scripts["describe_instance_information"] = [_pings(**{A: "Online", B: "Online"})]
    job = _job(client, [A, B])
    fake = FakeTime()
    assert cc.wait_until_terminal(client, [job], wait_timeout=30, poll_interval=2, clock=fake.clock, sleep=fake.sleep) == []
    assert fake.sleeps == [2, 2]
    assert [o["outcome"] for o in job.outcomes()] == ["cancelled", "cancelled"]


def test_wait_timeout_names_each_unfinished_node_and_its_state():
    client = _client({A: "Cancelling", B: "Cancelling"}, {A: "Cancelled", B: "Cancelling"})
    client._scripts["describe_instance_information"] = [_pings(**{A: "Online", B: "Online"})]
    job = _job(client, [A, B])
    fake = FakeTime()
    timed_out = cc.wait_until_terminal(client, [job], wait_timeout=5, poll_interval=2, clock=fake.clock, sleep=fake.sleep)
    assert timed_out == [{"command_id": CMD, "instance_id": B, "status": "Cancelling"}]
    assert fake.sleeps == [2, 2, 1]
    assert cc.describe_nodes(timed_out) == f"{B} Cancelling (command {CMD})"


def test_node_mode_never_sends_instance_id_with_pending_and_skips_commands_elsewhere():
    listed = [
        _command(CMD, "InProgress", instance_ids=[A, B]),
        _command(OTHER, "Pending", instance_ids=[C]),
        _command("25173b39-c88d-4459-ba3d-8704a0000002", "InProgress", targets=[{"Key": "tag:Role", "Values": ["web"]}]),
    ]
    by_command = {
        CMD: _invocations({A: "InProgress", B: "InProgress"}),
        "25173b39-c88d-4459-ba3d-8704a0000002": _invocations({A: "Pending"}, "25173b39-c88d-4459-ba3d-8704a0000002"),
    }
    client = ScriptedClient(
        list_commands=[lambda **kw: {"Commands": [c for c in listed if kw.get("CommandId") in (None, c["CommandId"])]}],
        list_command_invocations=[lambda **kw: by_command[kw["CommandId"]]],
        cancel_command=[{}],
    )
    changed, result = cc.ensure_node_commands_cancelled(client, [A], check_mode=False)
    assert changed is True
    searches = [kw for name, kw in client.calls if name == "list_commands" and "CommandId" not in kw]
    assert searches == [{"MaxResults": 50, "Filters": [{"key": "ExecutionStage", "value": "Executing"}]}]
    assert not [kw for name, kw in client.calls if name.startswith("list_") and "InstanceId" in kw]
    listed_invocations = [kw["CommandId"] for name, kw in client.calls if name == "list_command_invocations"]
    assert OTHER not in listed_invocations  # sent by ID to other nodes only: not read
    assert sorted(c["CommandId"] for c in _cancels(client)) == sorted([CMD, "25173b39-c88d-4459-ba3d-8704a0000002"])
    assert {tuple(c["InstanceIds"]) for c in _cancels(client)} == {(A,)}
    assert [o["instance_id"] for o in result["outcomes"]] == [A, A]
    assert [c["command_id"] for c in result["commands"]] == [CMD, "25173b39-c88d-4459-ba3d-8704a0000002"]


def test_node_mode_reports_a_node_with_nothing_in_flight():
    client = ScriptedClient(list_commands=[{"Commands": []}])
    changed, result = cc.ensure_node_commands_cancelled(client, [A], check_mode=False)
    assert changed is False
    expected = {"instance_id": A, "command_id": None, "status_before": None, "status": None, "outcome": "none_in_flight", "cancel_sent": False}
    assert result["outcomes"] == [expected]
    assert result["commands"] == []


def test_wait_does_not_wait_for_a_node_that_is_not_online():
    # A is lost, B is Online and settles after one poll, C is not registered at all: only B is waited for.
    client = _client({A: "Cancelling", B: "Cancelling", C: "Cancelling"}, {A: "Cancelling", B: "Cancelled", C: "Cancelling"})
    client._scripts["describe_instance_information"] = [_pings(**{A: "ConnectionLost", B: "Online"})]
    job = _job(client, [A, B, C])
    fake = FakeTime()
    assert cc.wait_until_terminal(client, [job], wait_timeout=300, poll_interval=2, clock=fake.clock, sleep=fake.sleep) == []
    assert fake.sleeps == [2]
    outcomes = {o["instance_id"]: o for o in job.outcomes()}
    assert outcomes[B]["outcome"] == "cancelled" and "ping_status" not in outcomes[B]
    assert (outcomes[A]["outcome"], outcomes[A]["status"], outcomes[A]["ping_status"]) == ("cancel_requested", "Cancelling", "ConnectionLost")
    assert "is ConnectionLost" in outcomes[A]["msg"] and "did not wait" in outcomes[A]["msg"]
    assert (outcomes[C]["outcome"], outcomes[C]["ping_status"]) == ("cancel_requested", None)
    assert "not registered" in outcomes[C]["msg"]
    assert failed_outcomes(job.outcomes()) == []
    # the ping status was read before the first wait; B had settled by the next round, so none was read again
    described = [kw["Filters"][0]["Values"] for name, kw in client.calls if name == "describe_instance_information"]
    assert described == [[A, B, C]]


def test_a_node_that_goes_offline_while_waited_on_is_set_aside():
    pings = iter([{A: "Online"}, {A: "ConnectionLost"}])
    client = _client({A: "Cancelling"}, {A: "Cancelling"})

    def describe(**kw):
        return _pings(**next(pings))(**kw)

    client._scripts["describe_instance_information"] = [describe]
    job = _job(client, [A])
    fake = FakeTime()
    assert cc.wait_until_terminal(client, [job], wait_timeout=300, poll_interval=5, clock=fake.clock, sleep=fake.sleep) == []
    assert fake.sleeps == [5]
    assert job.outcomes()[0]["outcome"] == "cancel_requested" and job.outcomes()[0]["ping_status"] == "ConnectionLost"


def test_a_node_whose_describe_is_rejected_is_still_waited_for():
    def describe(**kw):
        raise client_error("ValidationException", "DescribeInstanceInformation")

    client = _client({A: "Cancelling"}, {A: "Cancelling"})
    client._scripts["describe_instance_information"] = [describe]
    job = _job(client, [A])
    fake = FakeTime()
    timed_out = cc.wait_until_terminal(client, [job], wait_timeout=4, poll_interval=2, clock=fake.clock, sleep=fake.sleep)
    assert timed_out == [{"command_id": CMD, "instance_id": A, "status": "Cancelling"}]


def test_a_command_not_listed_yet_is_read_again_before_it_is_unknown():
    listings = iter([{"Commands": []}, {"Commands": []}, {"Commands": [_command(instance_ids=[A])]}])
    client = ScriptedClient(list_commands=[lambda **kw: next(listings)], list_command_invocations=[_invocations({A: "InProgress"})])
    fake = FakeTime()
    command, statuses = cc.read_command_eventually(client, CMD, settle=6, clock=fake.clock, sleep=fake.sleep)
    assert command["CommandId"] == CMD and statuses == {A: "InProgress"}
    assert fake.sleeps == [0.5, 0.5]


def test_a_command_never_listed_is_unknown_after_the_settle_time():
    client = ScriptedClient(list_commands=[{"Commands": []}])
    fake = FakeTime()
    assert cc.read_command_eventually(client, CMD, settle=2.5, clock=fake.clock, sleep=fake.sleep) == (None, {})
    assert fake.sleeps == [0.5] * 5


def test_refresh_reads_the_command_again_when_its_last_node_finished_between_the_two_reads():
    # ListCommands answers before the last invocation ends, ListCommandInvocations after it: the command's
    # status must not stay one step behind its nodes' (the module would report Cancelled nodes of an InProgress command).
    client = ScriptedClient(
        list_commands=[
            {"Commands": [_command(status="InProgress")]},
            {"Commands": [_command(status="InProgress")]},
            {"Commands": [_command(status="Cancelled")]},
        ],
        list_command_invocations=[_invocations({A: "InProgress"}), _invocations({A: "Cancelled"})],
    )
    job = _job(client, [A])
    job.refresh(client)
    assert job.command["Status"] == "Cancelled"
    assert job.now == {A: "Cancelled"}
    assert client.names() == ["list_commands", "list_command_invocations", "list_commands", "list_command_invocations", "list_commands"]


def test_refresh_does_not_read_again_while_a_node_is_still_running():
    client = ScriptedClient(
        list_commands=[{"Commands": [_command(status="InProgress")]}], list_command_invocations=[_invocations({A: "InProgress", B: "Cancelled"})]
    )
    job = _job(client, [A, B])
    job.refresh(client)
    assert client.names().count("list_commands") == 2
