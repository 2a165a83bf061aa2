# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Deleting activations safely (activation_cleanup.py): only those that exist, and by default only when unused."""

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import activation_cleanup as cleanup
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.outcomes import failure_summary

from .doubles import ScriptedClient
from .doubles import client_error

A = "0a1b2c3d-0000-4000-8000-00000000000a"
B = "0a1b2c3d-0000-4000-8000-00000000000b"
C = "0a1b2c3d-0000-4000-8000-00000000000c"
MI = ["mi-" + format(n, "017x") for n in range(8)]


def _existing(*present):
    """DescribeActivations answering with the filtered IDs that are in ``present``."""
    return lambda **kw: {"ActivationList": [{"ActivationId": i} for i in kw["Filters"][0]["FilterValues"] if i in present]}


def _nodes(by_activation):
    """DescribeInstanceInformation answering with the nodes of the filtered activation."""
    return lambda **kw: {"InstanceInformationList": [{"InstanceId": i} for i in by_activation.get(kw["Filters"][0]["Values"][0], [])]}


def test_deletes_unused_keeps_used_and_skips_absent():
    client = ScriptedClient(
        describe_activations=[_existing(A, B)],
        describe_instance_information=[_nodes({B: MI})],
        delete_activation=[{}],
    )
    changed, outcomes = cleanup.ensure_activations_absent(client, [A, B, C], check_mode=False)
    assert changed is True
    assert outcomes == [
        {"activation_id": A, "outcome": "deleted", "registered_nodes": 0},
        {"activation_id": B, "outcome": "kept_in_use", "registered_nodes": 8, "node_ids": MI[:5]},
        {"activation_id": C, "outcome": "already_absent", "registered_nodes": None},
    ]
    assert [kw for name, kw in client.calls if name == "delete_activation"] == [{"ActivationId": A}]
    node_filters = [kw["Filters"] for name, kw in client.calls if name == "describe_instance_information"]
    assert node_filters == [[{"Key": "ActivationIds", "Values": [A]}], [{"Key": "ActivationIds", "Values": [B]}]]


def test_check_mode_reads_only_and_predicts_deleted():
    client = ScriptedClient(describe_activations=[_existing(A, B)], describe_instance_information=[_nodes({B: MI[:1]})])
    changed, outcomes = cleanup.ensure_activations_absent(client, [A, B], check_mode=True)
    assert changed is True
    assert [o["outcome"] for o in outcomes] == ["deleted", "kept_in_use"]
    assert "delete_activation" not in client.names()


def test_only_if_unused_false_deletes_and_still_counts_nodes():
    client = ScriptedClient(describe_activations=[_existing(A)], describe_instance_information=[_nodes({A: MI[:2]})], delete_activation=[{}])
    changed, outcomes = cleanup.ensure_activations_absent(client, [A], check_mode=False, only_if_unused=False)
    assert changed is True
    assert outcomes == [{"activation_id": A, "outcome": "deleted", "registered_nodes": 2, "node_ids": MI[:2]}]


def test_nothing_to_do_is_not_changed_and_sends_no_delete():
    client = ScriptedClient(describe_activations=[_existing()])
    changed, outcomes = cleanup.ensure_activations_absent(client, [A, B], check_mode=False)
    assert changed is False
    assert [o["outcome"] for o in outcomes] == ["already_absent", "already_absent"]
    assert client.names() == ["describe_activations"]


def test_vanished_between_describe_and_delete_is_already_absent():
    client = ScriptedClient(
        describe_activations=[_existing(A)],
        describe_instance_information=[_nodes({})],
        delete_activation=[client_error("InvalidActivationId", operation="DeleteActivation")],
    )
    changed, outcomes = cleanup.ensure_activations_absent(client, [A], check_mode=False)
    assert changed is False
    assert outcomes[0]["outcome"] == "already_absent"


def test_one_failure_of_several_is_reported_and_the_others_are_handled():
    def delete(**kwargs):
        if kwargs["ActivationId"] == B:
            raise client_error("AccessDeniedException", operation="DeleteActivation")
        return {}

    def nodes(**kwargs):
        if kwargs["Filters"][0]["Values"] == [C]:
            raise client_error("AccessDeniedException", operation="DescribeInstanceInformation")
        return {"InstanceInformationList": []}

    client = ScriptedClient(describe_activations=[_existing(A, B, C)], describe_instance_information=[nodes], delete_activation=[delete])
    changed, outcomes = cleanup.ensure_activations_absent(client, [A, B, C], check_mode=False)
    assert changed is True
    by_id = {o["activation_id"]: o for o in outcomes}
    assert by_id[A]["outcome"] == "deleted"
    assert by_id[B]["outcome"] == "failed" and by_id[B]["error_code"] == "AccessDeniedException" and by_id[B]["registered_nodes"] == 0
    assert "IAM permission" in by_id[B]["error"]
    assert by_id[C]["outcome"] == "failed" and by_id[C]["registered_nodes"] is None  # never deleted: its nodes could not be read
    assert [kw["ActivationId"] for name, kw in client.calls if name == "delete_activation"] == [A, B]
    summary = failure_summary(outcomes, "activation_id", "activation")
    assert summary.startswith("2 of 3 activation(s) failed") and B in summary and C in summary and A not in summary


def test_a_failing_describe_activations_fails_before_any_delete():
    client = ScriptedClient(describe_activations=[client_error("AccessDeniedException", operation="DescribeActivations")])
    with pytest.raises(AnsibleSSMError) as raised:
        cleanup.ensure_activations_absent(client, [A], check_mode=False)
    assert raised.value.code == "AccessDeniedException"
    assert client.names() == ["describe_activations"]


@pytest.mark.parametrize(
    "ids, expect",
    [
        ([], "activation_ids: the list is empty"),
        ([A, A], f"activation_ids: each activation ID may appear once; duplicated: '{A}'"),
        (["not-a-uuid"], "activation_ids: 1 invalid activation ID: 'not-a-uuid' must match"),
    ],
)
def test_bad_ids_fail_before_any_request_naming_the_option(ids, expect):
    client = ScriptedClient()
    with pytest.raises(SSMValidationError) as raised:
        cleanup.ensure_activations_absent(client, ids, check_mode=False)
    assert str(raised.value.message).startswith(expect)
    assert client.calls == []


def test_diff_lists_what_exists_before_and_after():
    outcomes = [
        {"activation_id": A, "outcome": "deleted"},
        {"activation_id": B, "outcome": "kept_in_use"},
        {"activation_id": C, "outcome": "already_absent"},
    ]
    assert cleanup.present_before_after(outcomes) == ([A, B], [B])
