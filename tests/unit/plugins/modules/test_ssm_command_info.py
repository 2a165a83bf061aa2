# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ssm_command_info driven through main(): the Status filter values SSM takes, and Cancelling, which it does not."""

import functools

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import LIST_COMMANDS_STATUS_VALUES
from ansible_collections.hybridops.ssm.plugins.modules import ssm_command_info
from ansible_collections.hybridops.ssm.tests.unit.plugins.modules.utils import run_module_main

from ..module_utils.doubles import ScriptedClient
from ..module_utils.doubles import client_error

run_main = functools.partial(run_module_main, ssm_command_info)
CANCELLING = {"CommandId": "c" * 36, "Status": "Cancelling", "StatusDetails": "Cancelling"}
RUNNING = {"CommandId": "r" * 36, "Status": "InProgress", "StatusDetails": "InProgress"}


def test_cancelling_lists_unfinished_commands_and_keeps_the_cancelling_ones(monkeypatch, capsys):
    client = ScriptedClient(list_commands=[{"Commands": [RUNNING, CANCELLING]}])
    result = run_main(monkeypatch, capsys, client, status="Cancelling")
    assert [c["command_id"] for c in result["commands"]] == [CANCELLING["CommandId"]]
    assert [kwargs["Filters"] for _name, kwargs in client.calls] == [[{"key": "ExecutionStage", "value": "Executing"}]]


@pytest.mark.parametrize("status", ["Success", "DeliveryTimedOut", "NoInstancesInTag"])
def test_a_status_ssm_filters_by_is_sent_as_given(monkeypatch, capsys, status):
    client = ScriptedClient(list_commands=[{"Commands": []}])
    result = run_main(monkeypatch, capsys, client, status=status)
    assert result["commands"] == [] and client.calls[0][1]["Filters"] == [{"key": "Status", "value": status}]


@pytest.mark.parametrize("status", ["Delayed", "Running"])
def test_a_status_listcommands_does_not_take_is_refused_before_any_call(monkeypatch, capsys, status):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, status=status)
    assert result["failed"] is True and client.calls == []
    assert f"value of status must be one of: {', '.join(LIST_COMMANDS_STATUS_VALUES)}, Cancelling, got: {status}" in result["msg"]


def test_the_task_runs_with_its_deadline(monkeypatch, capsys):
    started = []
    monkeypatch.setattr(ssm_command_info, "start_task", lambda deadline=None: started.append(deadline))
    client = ScriptedClient(list_commands=[{"Commands": [RUNNING]}])
    result = run_main(monkeypatch, capsys, client, deadline=60, max_calls_per_second=2)
    assert result.get("failed") is not True and started == [60]
    assert [c["command_id"] for c in result["commands"]] == [RUNNING["CommandId"]]


@pytest.mark.parametrize("deadline", [0, 86401])
def test_a_deadline_out_of_range_is_refused_before_any_call(monkeypatch, capsys, deadline):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, deadline=deadline)
    assert result["failed"] is True and f"deadline: {deadline}" in result["msg"] and client.calls == []


def test_a_failed_listing_fails_the_task_with_its_advice(monkeypatch, capsys):
    client = ScriptedClient(list_commands=[client_error("AccessDeniedException", "ListCommands")])
    result = run_main(monkeypatch, capsys, client)
    assert result["failed"] is True and "the credentials lack the IAM permission for this call" in result["msg"]


CMD = "25173b39-c88d-4459-ba3d-8704a0000000"
A, B = "mi-0000000000000000a", "mi-0000000000000000b"


def _invocation_answer(**kwargs):
    if kwargs["InstanceId"] == B:
        raise client_error("InvocationDoesNotExist", "GetCommandInvocation")
    return {
        "CommandId": kwargs["CommandId"],
        "InstanceId": kwargs["InstanceId"],
        "Status": "Failed",
        "StatusDetails": "Failed",
        "ResponseCode": 3,
        "StandardOutputContent": "o" * 24000,
        "StandardErrorContent": "oops\n",
    }


def test_include_output_reads_each_invocation_with_get_command_invocation(monkeypatch, capsys):
    command = {"CommandId": CMD, "Status": "Failed", "InstanceIds": [A, B]}
    invocations = {"CommandInvocations": [{"CommandId": CMD, "InstanceId": i, "Status": "Failed"} for i in (A, B)]}
    client = ScriptedClient(list_commands=[{"Commands": [command]}], list_command_invocations=[invocations], get_command_invocation=[_invocation_answer])
    result = run_main(monkeypatch, capsys, client, command_id=CMD, include_output=True)
    assert result.get("failed") is not True
    by_node = {i["instance_id"]: i for i in result["commands"][0]["invocations"]}
    assert by_node[A]["output"] == {"status": "Failed", "status_details": "Failed", "response_code": 3, "stdout": "o" * 24000, "stderr": "oops\n"}
    assert by_node[B]["output"] is None  # SSM has no invocation (yet): InvocationDoesNotExist
    gets = sorted(kwargs["InstanceId"] for name, kwargs in client.calls if name == "get_command_invocation")
    assert gets == [A, B] and client.names().count("list_command_invocations") == 1


def test_include_output_limited_to_instance_id(monkeypatch, capsys):
    command = {"CommandId": CMD, "Status": "Failed", "InstanceIds": [A, B]}
    invocations = {"CommandInvocations": [{"CommandId": CMD, "InstanceId": A, "Status": "Failed"}]}
    client = ScriptedClient(list_commands=[{"Commands": [command]}], list_command_invocations=[invocations], get_command_invocation=[_invocation_answer])
    result = run_main(monkeypatch, capsys, client, command_id=CMD, instance_id=A, include_output=True)
    assert [i["instance_id"] for i in result["commands"][0]["invocations"]] == [A]
    assert [kwargs["InstanceId"] for name, kwargs in client.calls if name in ("list_command_invocations", "get_command_invocation")] == [A, A]


def test_a_refused_output_read_fails_naming_the_node(monkeypatch, capsys):
    command = {"CommandId": CMD, "Status": "Success", "InstanceIds": [A]}
    invocations = {"CommandInvocations": [{"CommandId": CMD, "InstanceId": A, "Status": "Success"}]}
    client = ScriptedClient(
        list_commands=[{"Commands": [command]}],
        list_command_invocations=[invocations],
        get_command_invocation=[client_error("AccessDeniedException", "GetCommandInvocation")],
    )
    result = run_main(monkeypatch, capsys, client, command_id=CMD, include_output=True)
    assert result["failed"] is True
    assert f"output of command {CMD} on {A}" in result["msg"] and "AccessDeniedException" in result["msg"]


def test_include_output_without_command_id_is_refused_before_any_call(monkeypatch, capsys):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, include_output=True)
    assert result["failed"] is True and "include_output is True but all of the following are missing: command_id" in result["msg"]
    assert client.calls == []
