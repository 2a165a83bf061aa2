"""Run Command: SendCommand, the clock-driven status model, CancelCommand and the list/get calls."""

import datetime
import re

import pytest
from endpoint_helpers import client_error

from ssm_endpoint.commands import STATUS_FILTER_VALUES
from ssm_endpoint.invocations import aggregate
from ssm_endpoint.validation import service_model

DOC = "AWS-RunShellScript"


def send(ssm, ids, **kwargs):
    """SendCommand to ``ids``; returns the Command."""
    return ssm.send_command(InstanceIds=ids, DocumentName=DOC, Parameters={"commands": ["true"]}, **kwargs)["Command"]


def inv_status(ssm, command_id, instance_id):
    """Status of one invocation via GetCommandInvocation."""
    return ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)["Status"]


def cmd(ssm, command_id):
    """The Command as ListCommands shows it."""
    return ssm.list_commands(CommandId=command_id)["Commands"][0]


@pytest.fixture(autouse=True)
def tidy(control):
    """Tidy profile: these tests pin the status model step by step and read a command right after sending it.
    The realistic profile's visibility lag and offline agents are covered in test_consistency.py and test_realism.py."""
    control.set_realism("tidy")


@pytest.fixture(name="fleet")
def fixture_fleet(control):
    """Three registered nodes."""
    return control.seed_nodes(3)["instance_ids"]


def test_send_command_shape(ssm, fleet):
    command = send(ssm, fleet, Comment="c", TimeoutSeconds=600)
    assert len(command["CommandId"]) == 36 and command["Status"] == "Pending" and command["StatusDetails"] == "Pending"
    assert (command["DocumentName"], command["Comment"], command["InstanceIds"], command["Parameters"]) == (DOC, "c", fleet, {"commands": ["true"]})
    assert (command["TargetCount"], command["CompletedCount"], command["ErrorCount"], command["DeliveryTimedOutCount"]) == (3, 0, 0, 0)
    assert command["TimeoutSeconds"] == 600 and command["MaxConcurrency"] and command["MaxErrors"]
    assert command["ExpiresAfter"] - command["RequestedDateTime"] == datetime.timedelta(seconds=600)
    assert all(inv_status(ssm, command["CommandId"], i) == "Pending" for i in fleet)


def test_send_command_errors(ssm, fleet):
    assert client_error(ssm.send_command, InstanceIds=["mi-0123456789abcdef0"], DocumentName=DOC)[0] == "InvalidInstanceId"
    assert client_error(ssm.send_command, InstanceIds=[fleet[0], fleet[0]], DocumentName=DOC)[0] == "DuplicateInstanceId"


def test_send_command_by_tag_target(ssm, control):
    tagged = control.seed_nodes(2, tags={"role": "web"})["instance_ids"]
    control.seed_nodes(2)
    command = ssm.send_command(Targets=[{"Key": "tag:role", "Values": ["web"]}], DocumentName=DOC)["Command"]
    assert command["TargetCount"] == 2
    listed = ssm.list_command_invocations(CommandId=command["CommandId"])["CommandInvocations"]
    assert sorted(i["InstanceId"] for i in listed) == sorted(tagged)
    empty = ssm.send_command(Targets=[{"Key": "tag:role", "Values": ["db"]}], DocumentName=DOC)["Command"]
    assert (empty["TargetCount"], empty["Status"]) == (0, "Success")


def test_status_model_steps(ssm, control, fleet):
    command_id = send(ssm, fleet[:1])["CommandId"]
    control.step()
    assert inv_status(ssm, command_id, fleet[0]) == "InProgress" and cmd(ssm, command_id)["Status"] == "InProgress"
    control.step()
    assert inv_status(ssm, command_id, fleet[0]) == "Success"
    done = cmd(ssm, command_id)
    assert (done["Status"], done["CompletedCount"], done["ErrorCount"]) == ("Success", 1, 0)


def test_duration_and_outcome_control(ssm, control, fleet):
    command_id = send(ssm, fleet[:2])["CommandId"]
    control.set_invocation(command_id, instance_id=fleet[0], outcome="Failed", duration_steps=3)
    control.step(2)
    assert inv_status(ssm, command_id, fleet[0]) == "InProgress" and inv_status(ssm, command_id, fleet[1]) == "Success"
    control.step(2)
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=fleet[0])
    assert got["Status"] == "Failed" and got["ResponseCode"] == 1 and got["ExecutionEndDateTime"]
    done = cmd(ssm, command_id)
    assert (done["Status"], done["CompletedCount"], done["ErrorCount"]) == ("Failed", 2, 1)


def test_command_defaults(ssm, control, fleet):
    control.set_command_defaults(outcome="TimedOut", duration_steps=2)
    command_id = send(ssm, fleet[:1])["CommandId"]
    control.step(2)
    assert inv_status(ssm, command_id, fleet[0]) == "InProgress"
    control.step()
    assert inv_status(ssm, command_id, fleet[0]) == "TimedOut" and cmd(ssm, command_id)["ErrorCount"] == 1


def test_force_status(ssm, control, fleet):
    command_id = send(ssm, fleet[:1])["CommandId"]
    control.set_invocation(command_id, status="Delayed")
    assert inv_status(ssm, command_id, fleet[0]) == "Delayed"
    control.set_invocation(command_id, status="Success")
    assert cmd(ssm, command_id)["Status"] == "Success"


def test_cancel_all(ssm, control, fleet):
    command_id = send(ssm, fleet)["CommandId"]
    control.step()
    ssm.cancel_command(CommandId=command_id)
    assert cmd(ssm, command_id)["Status"] == "Cancelling"
    assert {inv_status(ssm, command_id, i) for i in fleet} == {"Cancelling"}
    control.step()
    assert {inv_status(ssm, command_id, i) for i in fleet} == {"Cancelled"}
    assert cmd(ssm, command_id)["Status"] == "Cancelled"


def test_cancel_leaves_terminal_invocations(ssm, control, fleet):
    command_id = send(ssm, fleet[:2])["CommandId"]
    control.set_invocation(command_id, instance_id=fleet[1], status="Success")
    ssm.cancel_command(CommandId=command_id, InstanceIds=fleet[:2])
    assert inv_status(ssm, command_id, fleet[1]) == "Success" and inv_status(ssm, command_id, fleet[0]) == "Cancelling"
    control.step()
    assert cmd(ssm, command_id)["Status"] == "Cancelled"


def test_cancel_subset(ssm, control, fleet):
    command_id = send(ssm, fleet)["CommandId"]
    ssm.cancel_command(CommandId=command_id, InstanceIds=[fleet[0]])
    control.step(3)
    assert [inv_status(ssm, command_id, i) for i in fleet] == ["Cancelled", "Success", "Success"]
    assert cmd(ssm, command_id)["Status"] == "Cancelled"


def test_cancel_race_finishes_first(ssm, control, fleet):
    command_id = send(ssm, fleet[:1])["CommandId"]
    control.set_invocation(command_id, finish_before_cancel=True)
    control.step()
    ssm.cancel_command(CommandId=command_id)
    assert inv_status(ssm, command_id, fleet[0]) == "Success" and cmd(ssm, command_id)["Status"] == "Success"


def test_cancel_errors(ssm, raw_ssm, fleet):
    command_id = send(ssm, fleet[:2])["CommandId"]
    assert client_error(ssm.cancel_command, CommandId="0" * 36)[0] == "InvalidCommandId"
    assert client_error(ssm.cancel_command, CommandId=command_id, InstanceIds=[fleet[0], fleet[0]])[0] == "DuplicateInstanceId"
    assert client_error(ssm.cancel_command, CommandId=command_id, InstanceIds=[fleet[2]])[0] == "InvalidInstanceId"
    assert client_error(raw_ssm.cancel_command, CommandId="short")[0] == "ValidationException"
    assert client_error(raw_ssm.cancel_command, CommandId=command_id, InstanceIds=["mi-0123456789abcdef0"] * 51)[0] == "ValidationException"


def test_command_history_survives_deregistration(ssm, control, fleet):
    command_id = send(ssm, fleet[:1])["CommandId"]
    control.step(2)
    ssm.deregister_managed_instance(InstanceId=fleet[0])
    assert inv_status(ssm, command_id, fleet[0]) == "Success"
    assert ssm.list_commands(InstanceId=fleet[0])["Commands"][0]["CommandId"] == command_id


def test_list_commands_order_filters_and_paging(ssm, control, fleet):
    first = send(ssm, fleet[:1])["CommandId"]
    control.step(2)
    second = send(ssm, fleet[1:2])
    listed = [c["CommandId"] for c in ssm.list_commands()["Commands"]]
    assert listed == [second["CommandId"], first]
    assert [c["CommandId"] for c in ssm.list_commands(InstanceId=fleet[0])["Commands"]] == [first]

    def filtered(key, value, **kwargs):
        return [c["CommandId"] for c in ssm.list_commands(Filters=[{"key": key, "value": value}], **kwargs)["Commands"]]

    assert filtered("Status", "Success") == [first]
    assert filtered("ExecutionStage", "Executing") == [second["CommandId"]]
    assert filtered("ExecutionStage", "Complete") == [first]
    assert filtered("DocumentName", DOC) == [second["CommandId"], first]
    assert filtered("InvokedAfter", (second["RequestedDateTime"] - datetime.timedelta(seconds=1)).isoformat()) == [second["CommandId"]]
    assert filtered("InvokedBefore", "2000-01-01T00:00:00Z") == []
    for _unused in range(55):
        send(ssm, fleet[2:])
    pages = list(ssm.get_paginator("list_commands").paginate())
    assert len(pages) == 2 and sum(len(p["Commands"]) for p in pages) == 57
    assert len(ssm.list_commands(MaxResults=1)["Commands"]) == 1


def test_list_commands_errors(ssm, raw_ssm, fleet):
    assert client_error(ssm.list_commands, CommandId="0" * 36)[0] == "InvalidCommandId"
    assert client_error(ssm.list_commands, NextToken="bad")[0] == "InvalidNextToken"
    code, _status, message = client_error(ssm.list_commands, InstanceId=fleet[0], Filters=[{"key": "Status", "value": "Pending"}])
    assert code == "InvalidFilterKey" and message.startswith("You can't specify a managed node ID")
    assert client_error(ssm.list_commands, Filters=[{"key": "Bogus", "value": "x"}])[0] == "ValidationException"
    assert client_error(raw_ssm.list_commands, MaxResults=0)[0] == "ValidationException"
    assert client_error(ssm.list_commands, MaxResults=51)[0] == "ValidationException"
    assert client_error(ssm.list_commands, Filters=[{"key": "Status", "value": "x"}] * 6)[0] == "ValidationException"


def _documented_status_values(operation):
    """The Status values the model's documentation of CommandFilter.value lists for ``operation``."""
    text = service_model().shape_for("CommandFilter").members["value"].documentation
    part = text.split(f"The status values you can specify for <code>{operation}</code> are:")[1].split("</ul>")[0]
    return re.findall(r"<code>(\w+)</code>", part)


@pytest.mark.parametrize("operation", ["ListCommands", "ListCommandInvocations"])
def test_status_filter_values_are_the_documented_ones(ssm, fleet, operation):
    assert list(STATUS_FILTER_VALUES[operation]) == _documented_status_values(operation)
    call = {"ListCommands": ssm.list_commands, "ListCommandInvocations": ssm.list_command_invocations}[operation]
    send(ssm, fleet[:1])
    for value in STATUS_FILTER_VALUES[operation]:
        call(Filters=[{"key": "Status", "value": value}])
    refused = ["Cancelling", "Running", "success"] + (["Delayed"] if operation == "ListCommands" else ["Incomplete"])
    for value in refused:
        code, status, message = client_error(call, Filters=[{"key": "Status", "value": value}])
        assert (code, status) == ("InvalidFilterKey", 400) and message.startswith(f"The filter value {value} is not valid for key Status in {operation}")
    if operation == "ListCommands":
        assert client_error(call, Filters=[{"key": "ExecutionStage", "value": "Running"}])[0] == "InvalidFilterKey"


def test_timeout_details_filter_by_status_details(ssm, control):
    lost = control.seed_nodes(1, ping_status="ConnectionLost")["instance_ids"]
    online = control.seed_nodes(1)["instance_ids"]
    timed_out = send(ssm, lost, TimeoutSeconds=60)["CommandId"]
    done = send(ssm, online)["CommandId"]
    control.set_realism(offline_agents=True)  # the lost node's invocation waits for its agent, then expires
    control.advance(60)
    control.step(2)

    def listed(call, key, value):
        found = call(Filters=[{"key": "Status", "value": value}])[key]
        return [c["CommandId"] for c in found]

    for call, key in ((ssm.list_commands, "Commands"), (ssm.list_command_invocations, "CommandInvocations")):
        assert listed(call, key, "TimedOut") == [timed_out]  # TimedOut takes delivery and execution timeouts
        assert listed(call, key, "DeliveryTimedOut") == [timed_out]
        assert listed(call, key, "ExecutionTimedOut") == []
        assert listed(call, key, "Success") == [done]


def test_list_command_invocations(ssm, control, fleet):
    command_id = send(ssm, fleet, Comment="hello")["CommandId"]
    control.set_invocation(command_id, instance_id=fleet[0], status="Failed")
    plain = ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]
    assert [i["InstanceId"] for i in plain] == fleet and all(i["CommandPlugins"] == [] for i in plain)
    assert plain[0]["InstanceName"] == "node-0" and plain[0]["Comment"] == "hello" and plain[0]["DocumentName"] == DOC
    detailed = ssm.list_command_invocations(CommandId=command_id, InstanceId=fleet[0], Details=True)["CommandInvocations"]
    assert len(detailed) == 1 and detailed[0]["CommandPlugins"][0]["Name"] == "aws:runShellScript"
    assert detailed[0]["CommandPlugins"][0]["Status"] == "Failed"
    failed = ssm.list_command_invocations(Filters=[{"key": "Status", "value": "Failed"}])["CommandInvocations"]
    assert [i["InstanceId"] for i in failed] == [fleet[0]]
    assert client_error(ssm.list_command_invocations, Filters=[{"key": "ExecutionStage", "value": "Complete"}])[0] == "InvalidFilterKey"
    assert client_error(ssm.list_command_invocations, CommandId="0" * 36)[0] == "InvalidCommandId"
    assert client_error(ssm.list_command_invocations, InstanceId=fleet[0], Filters=[{"key": "Status", "value": "Pending"}])[0] == "InvalidFilterKey"


def test_list_command_invocations_paging(ssm, control):
    many = control.seed_nodes(60)["instance_ids"]
    command_id = send(ssm, many[:50])["CommandId"]
    send(ssm, many[50:])
    pages = list(ssm.get_paginator("list_command_invocations").paginate())
    assert len(pages) == 2 and sum(len(p["CommandInvocations"]) for p in pages) == 60
    assert len(ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]) == 50


def test_get_command_invocation_errors(ssm, fleet):
    command_id = send(ssm, fleet[:1])["CommandId"]
    assert client_error(ssm.get_command_invocation, CommandId=command_id, InstanceId=fleet[1])[0] == "InvocationDoesNotExist"
    assert client_error(ssm.get_command_invocation, CommandId="0" * 36, InstanceId=fleet[0])[0] == "InvocationDoesNotExist"
    assert client_error(ssm.get_command_invocation, CommandId=command_id, InstanceId=fleet[0], PluginName="aws:nope")[0] == "InvalidPluginName"
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=fleet[0], PluginName="aws:runShellScript")
    assert got["PluginName"] == "aws:runShellScript" and got["ResponseCode"] == -1


def test_waiter_sees_success(ssm, control, fleet):
    command_id = send(ssm, fleet[:1])["CommandId"]
    control.step(2)
    ssm.get_waiter("command_executed").wait(CommandId=command_id, InstanceId=fleet[0], WaiterConfig={"Delay": 0, "MaxAttempts": 1})


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["Pending", "Pending"], "Pending"),
        (["Pending", "InProgress"], "InProgress"),
        (["Success", "Pending"], "InProgress"),
        (["Cancelling", "InProgress"], "Cancelling"),
        (["Delayed", "Success"], "InProgress"),
        (["Success", "Failed", "TimedOut", "Cancelled"], "Failed"),
        (["Success", "TimedOut", "Cancelled"], "TimedOut"),
        (["Success", "Cancelled"], "Cancelled"),
        (["Success", "Success"], "Success"),
    ],
)
def test_aggregation(statuses, expected):
    assert aggregate(statuses) == expected


def test_aggregation_over_http(ssm, control, fleet):
    command_id = send(ssm, fleet)["CommandId"]
    control.set_invocation(command_id, instance_id=fleet[0], status="Cancelled")
    control.set_invocation(command_id, instance_id=fleet[1], status="TimedOut")
    assert cmd(ssm, command_id)["Status"] == "InProgress"
    control.set_invocation(command_id, instance_id=fleet[2], status="Success")
    done = cmd(ssm, command_id)
    assert (done["Status"], done["CompletedCount"], done["ErrorCount"]) == ("TimedOut", 3, 1)
