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
