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
