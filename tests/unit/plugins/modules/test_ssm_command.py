# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ssm_command driven through main(): options checked before any call, check mode and diff, failures named."""

import functools

import pytest

from ansible_collections.hybridops.ssm.plugins.modules import ssm_command
from ansible_collections.hybridops.ssm.tests.unit.plugins.modules.utils import run_module_main

from ..module_utils.doubles import ScriptedClient
from ..module_utils.doubles import client_error

CMD = "25173b39-c88d-4459-ba3d-8704a0000000"
A, B = "mi-0000000000000000a", "mi-0000000000000000b"
run_main = functools.partial(run_module_main, ssm_command)


def _client(statuses, cancel=None):
    """A client that knows one command, in flight on the nodes of ``statuses`` (node -> invocation status)."""
    command = {"CommandId": CMD, "Status": "InProgress", "InstanceIds": list(statuses), "Targets": [], "DocumentName": "AWS-RunShellScript"}
    invocations = {"CommandInvocations": [{"CommandId": CMD, "InstanceId": i, "Status": s} for i, s in statuses.items()]}
    return ScriptedClient(list_commands=[{"Commands": [command]}], list_command_invocations=[invocations], cancel_command=cancel or [{}])


def test_check_mode_with_diff_predicts_the_cancel_and_sends_none(monkeypatch, capsys):
    client = _client({A: "InProgress", B: "Success"})
    result = run_main(monkeypatch, capsys, client, command_id=CMD, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and result.get("failed") is not True
    assert "cancel_command" not in client.names()
    assert result["diff"] == {"before": {CMD: {A: "InProgress", B: "Success"}}, "after": {CMD: {A: "Cancelling", B: "Success"}}}
    assert result["msg"].startswith("check mode, nothing changed: ")


def test_no_diff_without_diff_mode(monkeypatch, capsys):
    result = run_main(monkeypatch, capsys, _client({A: "InProgress"}), command_id=CMD)
    assert result["changed"] is True and "diff" not in result


def test_a_refused_cancel_fails_the_task_naming_the_node_and_the_code(monkeypatch, capsys):
    client = _client({A: "InProgress"}, cancel=[client_error("AccessDeniedException", "CancelCommand")])
    result = run_main(monkeypatch, capsys, client, command_id=CMD)
    assert result["failed"] is True
    assert A in result["msg"] and "AccessDeniedException" in result["msg"]
    assert [o["outcome"] for o in result["outcomes"]] == ["failed"]


def test_an_empty_list_of_nodes_is_nothing_to_do(monkeypatch, capsys):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, instance_ids=[])
    assert result["changed"] is False and result["commands"] == [] and result["outcomes"] == []
    assert client.calls == []


@pytest.mark.parametrize(
    "args, words",
    [
        ({"command_id": CMD, "wait_timeout": 60}, "wait_timeout: only apply with wait=true"),
        ({"command_id": CMD, "wait": True, "poll_interval": 0}, "poll_interval: 0.0 must be a number of seconds"),
        ({"command_id": "not-a-command-id"}, "command_id: 'not-a-command-id' is not a valid"),
        ({"command_id": CMD, "deadline": 0}, "deadline: 0"),
    ],
)
def test_bad_options_fail_before_any_call(monkeypatch, capsys, args, words):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, **args)
    assert result["failed"] is True and words in result["msg"]
    assert client.calls == []


# --- state=present ---------------------------------------------------------------------------------------------

SEND = {"state": "present", "document_name": "AWS-RunShellScript", "parameters": {"commands": ["echo hi", "exit 3"]}, "instance_ids": [A, B]}


def _online(**kwargs):
    ids = next(f["Values"] for f in kwargs["Filters"] if f["Key"] == "InstanceIds")
    return {"InstanceInformationList": [{"InstanceId": i, "PingStatus": "Online"} for i in ids]}


def _present_client(final_status="Failed", code=3):
    """Nothing sent before; both nodes Online; the command sent ends ``final_status`` with exit code ``code``."""
    command = {"CommandId": CMD, "Status": final_status, "InstanceIds": [A, B], "Targets": [], "DocumentName": "AWS-RunShellScript"}
    invocations = {"CommandInvocations": [{"CommandId": CMD, "InstanceId": i, "Status": final_status} for i in (A, B)]}

    def output(**kwargs):
        return {"Status": final_status, "StatusDetails": final_status, "ResponseCode": code, "StandardOutputContent": "hi\n", "StandardErrorContent": ""}

    return ScriptedClient(
        list_commands=[{"Commands": []}, {"Commands": [command]}],
        list_command_invocations=[invocations],
        describe_instance_information=[_online],
        send_command=[{"Command": command}],
        get_command_invocation=[output],
    )


@pytest.mark.parametrize(
    "args, words",
    [
        ({"document_name": "my doc"}, "document_name: 'my doc' is not a valid document name"),
        ({"comment": "c" * 80}, "the Comment would be 107, and SSM takes at most 100"),
        ({"idempotency_window": "31d"}, "idempotency_window: '31d' must be a duration from 1 seconds to 30 days"),
        ({"timeout_seconds": 29}, "timeout_seconds: 29"),
        ({"max_errors": "101%"}, "max_errors: '101%' is not a valid error threshold"),
        ({"execution_timeout": 60, "parameters": {"executionTimeout": ["30"]}}, "both set the document's executionTimeout"),
        ({"parameters": {"commands": [3]}}, "parameters.commands: every item must be a string"),
        ({"instance_ids": None, "targets": [{"key": "tag:a+b", "values": ["x"]}]}, "targets[0].key: 'tag:a+b' contains '+'"),
        ({"command_id": CMD}, "command_id: only applies with state=cancelled"),
        ({"fail_on_completed": True}, "fail_on_completed: only applies with state=cancelled"),
        ({"poll_interval": 1}, "poll_interval: only apply with wait=true"),
        ({"instance_ids": [A, A]}, f"duplicated: '{A}'"),
    ],
)
def test_present_bad_options_fail_before_any_call(monkeypatch, capsys, args, words):
    client = ScriptedClient()
    given = {name: value for name, value in {**SEND, **args}.items() if value is not None}
    result = run_main(monkeypatch, capsys, client, **given)
    assert result["failed"] is True and words in result["msg"], result["msg"]
    assert client.calls == []


def test_present_check_mode_through_main_sends_nothing_and_says_would_send(monkeypatch, capsys):
    client = _present_client()
    result = run_main(monkeypatch, capsys, client, **SEND, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and result.get("failed") is not True
    assert result["msg"].startswith("would send AWS-RunShellScript to 2 node(s) in 1 SendCommand call(s); check mode, nothing changed: "), result["msg"]
    assert "send_command" not in client.names() and "get_command_invocation" not in client.names()
    assert [(o["instance_id"], o["outcome"], o["command_id"]) for o in result["outcomes"]] == [(A, "sent", None), (B, "sent", None)]
    assert result["diff"]["after"] == {A: "Pending", B: "Pending"} and result["calls"] == 1


def test_present_check_mode_without_wait_options_makes_only_reads(monkeypatch, capsys):
    client = _present_client()
    run_main(monkeypatch, capsys, client, **SEND, _ansible_check_mode=True)
    assert set(client.names()) <= {"list_commands", "list_command_invocations", "describe_instance_information"}


def test_present_failure_names_each_node_its_status_and_exit_code(monkeypatch, capsys):
    client = _present_client("Failed", 3)
    result = run_main(monkeypatch, capsys, client, **SEND, wait=True, poll_interval=0.1)
    assert result["failed"] is True and result["changed"] is True
    assert client.names().count("send_command") == 1
    assert "fail_on_failed: 2 node(s) ran the command without success" in result["msg"]
    for node in (A, B):
        assert f"{node} Failed (exit code 3, command {CMD})" in result["msg"], result["msg"]
    assert {o["instance_id"]: (o["outcome"], o["response_code"], o["stdout"]) for o in result["outcomes"]} == {
        A: ("run_failed", 3, "hi\n"),
        B: ("run_failed", 3, "hi\n"),
    }


def test_present_failure_is_a_warning_with_fail_on_failed_false(monkeypatch, capsys):
    client = _present_client("Failed", 3)
    result = run_main(monkeypatch, capsys, client, **SEND, wait=True, poll_interval=0.1, fail_on_failed=False)
    assert result.get("failed") is not True and result["changed"] is True
    assert result["msg"].startswith("sent AWS-RunShellScript in 1 SendCommand call(s)")
