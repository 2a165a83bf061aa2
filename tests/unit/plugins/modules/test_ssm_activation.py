# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ssm_activation driven through main(): options in, JSON out, the client scripted."""

import functools
import json

import pytest

from ansible_collections.hybridops.ssm.plugins.modules import ssm_activation
from ansible_collections.hybridops.ssm.tests.unit.plugins.modules.utils import run_module_main

from ..module_utils.doubles import ScriptedClient
from ..module_utils.doubles import client_error

A = "0a1b2c3d-0000-4000-8000-00000000000a"
B = "0a1b2c3d-0000-4000-8000-00000000000b"
NODE = "mi-0123456789abcdef0"
run_main = functools.partial(run_module_main, ssm_activation)


def _existing(*present):
    return lambda **kw: {"ActivationList": [{"ActivationId": i} for i in kw["Filters"][0]["FilterValues"] if i in present]}


def _nodes(by_activation):
    return lambda **kw: {"InstanceInformationList": [{"InstanceId": i} for i in by_activation.get(kw["Filters"][0]["Values"][0], [])]}


def test_check_mode_with_diff_predicts_and_keeps_the_used_one(monkeypatch, capsys):
    client = ScriptedClient(describe_activations=[_existing(A, B)], describe_instance_information=[_nodes({B: [NODE]})])
    result = run_main(monkeypatch, capsys, client, activation_ids=[A, B], _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True
    assert [o["outcome"] for o in result["activations"]] == ["deleted", "kept_in_use"]
    assert result["activations"][1]["node_ids"] == [NODE]
    assert result["diff"] == {"before": {"activation_ids": [A, B]}, "after": {"activation_ids": [B]}}
    assert "delete_activation" not in client.names()


def test_no_diff_without_diff_mode(monkeypatch, capsys):
    client = ScriptedClient(describe_activations=[_existing(A)], describe_instance_information=[_nodes({})], delete_activation=[{}])
    result = run_main(monkeypatch, capsys, client, activation_id=A, state="absent")
    assert result["changed"] is True and "diff" not in result
    assert result["activations"] == [{"activation_id": A, "outcome": "deleted", "registered_nodes": 0}]


def test_deleting_a_used_activation_warns_that_nodes_stay(monkeypatch, capsys):
    client = ScriptedClient(describe_activations=[_existing(A)], describe_instance_information=[_nodes({A: [NODE]})], delete_activation=[{}])
    result = run_main(monkeypatch, capsys, client, activation_ids=[A], only_if_unused=False)
    assert result["changed"] is True and result["activations"][0]["registered_nodes"] == 1
    warnings = json.dumps(result["warnings"])  # ansible-core 2.19 returns warning summaries, not plain strings
    assert "the nodes stay registered" in warnings and A in warnings


def test_one_failure_fails_the_task_after_every_activation(monkeypatch, capsys):
    def delete(**kwargs):
        if kwargs["ActivationId"] == A:
            raise client_error("AccessDeniedException", operation="DeleteActivation")
        return {}

    client = ScriptedClient(describe_activations=[_existing(A, B)], describe_instance_information=[_nodes({})], delete_activation=[delete])
    result = run_main(monkeypatch, capsys, client, activation_ids=[A, B])
    assert result["failed"] is True and result["changed"] is True
    assert A in result["msg"] and "AccessDeniedException" in result["msg"] and B not in result["msg"]
    assert [o["outcome"] for o in result["activations"]] == ["failed", "deleted"]


@pytest.mark.parametrize(
    "ids, expect",
    [
        (["not-a-uuid"], ["activation_ids: ", "'not-a-uuid'", "lower-case UUID"]),
        ([A.upper()], ["activation_ids: ", A.upper(), "must match"]),
        ([A, A], ["activation_ids: ", f"duplicated: '{A}'"]),
    ],
)
def test_bad_input_fails_before_the_client_is_used(monkeypatch, capsys, ids, expect):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, activation_ids=ids)
    assert result["failed"] is True and result.get("changed") is not True
    assert [e for e in expect if e not in result["msg"]] == []
    assert client.calls == []
